"""Where the desktop keeps its files on a ward PC."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "followup-nurse-station"


def data_home() -> Path:
    """``FOLLOWUP_HOME`` if set (IT presets, tests, the demo), else the platform's per-user data folder."""
    override = os.environ.get("FOLLOWUP_HOME")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP_DIR_NAME


def default_cache_path() -> Path:
    return data_home() / "cache.db"
