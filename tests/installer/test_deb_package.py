"""The real thing: PyInstaller build → .deb → dpkg -i → run the installed app → dpkg -r / -P.

Slow (about 3 minutes on 2 cores: ~1 min PyInstaller, ~1 min dpkg-deb, the rest install and
runs) but run by default, because a broken spec or package is otherwise found on a ward PC.
Needs root, dpkg-deb and PyInstaller (``scripts/setup.sh`` installs them); skipped otherwise,
and skipped on a machine where nurse-station is really installed or configured.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installer"))

import build_deb  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(sys.platform != "linux", reason="Debian packaging"),
    pytest.mark.skipif(os.geteuid() != 0 if hasattr(os, "geteuid") else True, reason="dpkg -i needs root"),
    pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb not installed"),
]


def _installed() -> bool:
    status = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", build_deb.PACKAGE], capture_output=True, text=True
    )
    return "installed" in status.stdout and "not-installed" not in status.stdout


def _run(*command: str, timeout: int = 300, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **env}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=full_env, cwd="/")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("PyInstaller")
    folder = tmp_path_factory.mktemp("pyinstaller")
    return build_deb.build_bundle(folder / "dist", folder / "work", voice_model=None)


def test_bundle_layout(bundle: Path) -> None:
    internal = bundle / "_internal"
    assert (bundle / "nurse-station").is_file()
    assert (internal / "vosk" / "libvosk.so").is_file()
    assert list((internal / "sqlcipher3").glob("_sqlite3*.so"))
    assert (internal / "nurse_app" / "store" / "migrations" / "env.py").is_file()
    assert list((internal / "resources" / "scales").glob("*.json"))
    assert list((internal / "resources" / "i18n" / "zh_CN").glob("*.po"))
    assert list((internal / "resources" / "fonts").glob("*.ttf"))
    platforms = {p.name for p in (internal / "PySide6" / "Qt" / "plugins" / "platforms").iterdir()}
    assert platforms == {"libqxcb.so", "libqoffscreen.so"}
    plugin_dirs = {p.name for p in (internal / "PySide6" / "Qt" / "plugins").iterdir()}
    assert plugin_dirs <= {"platforms", "imageformats", "platforminputcontexts"}
    assert not (internal / "fastapi").exists() and not (internal / "keyrings").exists()
    size_mb = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6
    assert size_mb < 350, f"bundle is {size_mb:.0f} MB"


def test_deb_installs_runs_and_removes(bundle: Path, tmp_path: Path) -> None:
    if _installed() or Path("/etc/nurse-station").exists():
        pytest.skip("nurse-station is installed or configured on this machine; not touching it")
    deb = build_deb.build_deb(bundle, tmp_path, level=1)
    contents = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "./usr/bin/nurse-station" in contents and "./opt/nurse-station/nurse-station" in contents
    subprocess.run(["dpkg", "-i", str(deb)], check=True, capture_output=True, timeout=300)
    try:
        desktop = Path("/usr/share/applications/nurse-station.desktop").read_text(encoding="utf-8")
        assert "Name[zh_CN]=随访护士站" in desktop and "Name=Follow-up Nurse Station" in desktop
        assert Path("/usr/share/icons/hicolor/scalable/apps/nurse-station.svg").is_file()

        result = _run("/usr/bin/nurse-station", "--help")
        assert result.returncode == 0, result.stderr
        assert "desk" in result.stdout

        home = tmp_path / "home"
        result = _run("/usr/bin/nurse-station", "scales", "list", FOLLOWUP_HOME=str(home))
        assert result.returncode == 0, result.stderr
        assert "phq9" in result.stdout

        result = _run("/usr/bin/nurse-station", "--smoke")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("READY")

        # IT's machine configuration survives a remove, and goes only with purge.
        config = Path("/etc/nurse-station/config.toml")
        assert config.parent.is_dir()
        config.write_text('server_url = "https://followup.hospital.local"\n', encoding="utf-8")
        subprocess.run(["dpkg", "-r", build_deb.PACKAGE], check=True, capture_output=True, timeout=300)
        assert not Path("/usr/bin/nurse-station").exists()
        assert not Path("/opt/nurse-station/nurse-station").exists()
        assert config.is_file()
    finally:
        subprocess.run(["dpkg", "-P", build_deb.PACKAGE], capture_output=True, timeout=300)
    assert not Path("/etc/nurse-station").exists()
    assert not _installed()
