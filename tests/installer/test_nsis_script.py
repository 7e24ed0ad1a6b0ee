"""installer/nurse-station.nsi compiles with makensis against a stand-in of the PyInstaller build."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nurse_app import __version__
from nurse_app.machine_config import FIELDS

ROOT = Path(__file__).resolve().parents[2]
NSI = ROOT / "installer" / "nurse-station.nsi"


@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis not installed (apt-get install nsis)")
def test_nsis_script_compiles(tmp_path: Path) -> None:
    bundle = tmp_path / "nurse-station"
    (bundle / "_internal" / "resources" / "scales").mkdir(parents=True)
    (bundle / "nurse-station.exe").write_bytes(b"MZ stand-in")
    (bundle / "_internal" / "resources" / "scales" / "phq9.json").write_text("{}", encoding="utf-8")
    out = tmp_path / "nurse-station-setup.exe"
    result = subprocess.run(
        [
            "makensis",
            "-V2",
            "-WX",  # a warning is an error: catch a script that only half works
            f"-DVERSION={__version__}",
            f"-DBUNDLE_DIR={bundle}",
            f"-DOUTFILE={out}",
            str(NSI),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=NSI.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.read_bytes()[:2] == b"MZ"


def test_silent_options_write_known_machine_config_keys() -> None:
    script = NSI.read_text(encoding="utf-8")
    for option in ("/SERVER=", "/WARD=", "/CA=", "/LOCK="):
        assert f'"{option}"' in script
    written = set(re.findall(r'WriteTomlValue \$0 "(\w+)"', script))
    written |= set(re.findall(r'FileWrite \$0 "(\w+) = true', script))
    assert written == {"server_url", "ca_bundle", "ward"}
    assert written <= set(FIELDS)
    assert "RequestExecutionLevel admin" in script and "$PROGRAMFILES64" in script
