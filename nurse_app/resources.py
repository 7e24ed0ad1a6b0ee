"""Where the read-only application resources (``resources/``: scales, translations, fonts) live.

From the repository (editable install) that is ``resources/`` beside the packages. In a
PyInstaller build the spec collects it as ``resources/`` inside the bundle's data folder
(``sys._MEIPASS``), which is also where the frozen packages sit, so both lookups agree.
``FOLLOWUP_RESOURCES`` overrides it (tests, unusual layouts).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

RESOURCES_ENV = "FOLLOWUP_RESOURCES"


def resource_dir(source_root: Path | None = None) -> Path:
    """The ``resources/`` folder of this installation (it may be missing; callers report that).

    ``source_root`` is the folder holding the packages when running from source (default: the
    one holding ``nurse_app``); a frozen build and ``FOLLOWUP_RESOURCES`` take precedence.
    """
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return (source_root or Path(__file__).resolve().parent.parent) / "resources"
