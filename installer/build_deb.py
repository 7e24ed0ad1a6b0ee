"""Build ``nurse-station_<version>_<arch>.deb`` from the PyInstaller one-folder build.

    python installer/build_deb.py --build [--voice-model PATH]      # PyInstaller, then the .deb
    python installer/build_deb.py --bundle dist/nurse-station        # package an existing build

The package installs the bundle under ``/opt/nurse-station``, a ``/usr/bin/nurse-station``
launcher, a desktop entry (随访护士站 / Follow-up Nurse Station) and its icon. Users' data (the
encrypted cache and settings in their home folders) is never touched by the package; the
machine configuration ``/etc/nurse-station/`` is kept on upgrade and remove and deleted only on
purge (``dpkg -P``). Needs ``dpkg-deb`` (Debian's dpkg); run as root or with ``--root-owner-group``
support (dpkg ≥ 1.19), so no fakeroot is needed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALLER = ROOT / "installer"
PACKAGE = "nurse-station"
PREFIX = Path("opt") / PACKAGE
VOICE_MODEL_ENV = "NURSE_STATION_VOICE_MODEL"

# What the bundle still takes from the system: the C library, X11/EGL for Qt, fonts, D-Bus.
DEPENDS = "libc6 (>= 2.31), libfontconfig1, libxkbcommon-x11-0, libxcb-cursor0, libegl1, libgl1, libdbus-1-3"
# The keyring holds the cache key; espeak-ng reads aloud; PortAudio captures the microphone.
RECOMMENDS = "gnome-keyring, espeak-ng, libportaudio2, fonts-noto-cjk"

LAUNCHER = f"""#!/bin/sh
# Installed by the {PACKAGE} package: start the bundled application.
exec /{PREFIX}/{PACKAGE} "$@"
"""

POSTINST = """#!/bin/sh
set -e
if [ "$1" = configure ]; then
    # IT puts the machine configuration here (see README "Deployment"); never overwritten.
    mkdir -p /etc/nurse-station
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 \\
        && gtk-update-icon-cache -q /usr/share/icons/hicolor || true
fi
exit 0
"""

PRERM = """#!/bin/sh
set -e
# Upgrade or remove: the program files go, everything the users and IT made stays
# (caches and settings live in the users' home folders; /etc/nurse-station stays until purge).
exit 0
"""

POSTRM = """#!/bin/sh
set -e
if [ "$1" = purge ]; then
    # Only purge deletes the machine configuration. Users' own caches in their home folders may
    # hold unsynced follow-ups, so no package script ever deletes them.
    rm -rf /etc/nurse-station
fi
if [ "$1" = remove ] || [ "$1" = purge ]; then
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q || true
fi
exit 0
"""


def version() -> str:
    sys.path.insert(0, str(ROOT))
    from nurse_app import __version__

    return __version__


def build_bundle(dist: Path, work: Path, voice_model: Path | None) -> Path:
    """Run PyInstaller on installer/nurse-station.spec; returns the one-folder build."""
    env = dict(os.environ)
    env.pop(VOICE_MODEL_ENV, None)
    if voice_model:
        env[VOICE_MODEL_ENV] = str(voice_model.resolve())
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean"]
    command += ["--distpath", str(dist), "--workpath", str(work), str(INSTALLER / "nurse-station.spec")]
    subprocess.run(command, check=True, cwd=ROOT, env=env)
    return dist / PACKAGE


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def _size_kib(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) // 1024


def _architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], check=True, capture_output=True, text=True
    ).stdout.strip()


def build_deb(bundle: Path, out_dir: Path, *, compression: str = "gzip", level: int = 6) -> Path:
    """Stage the package tree around ``bundle`` and run ``dpkg-deb --build``; returns the .deb."""
    if not (bundle / PACKAGE).is_file():
        raise SystemExit(f"{bundle} is not a PyInstaller build of {PACKAGE} (no {PACKAGE} executable)")
    ver, arch = version(), _architecture()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nurse-station-deb-") as staging_name:
        staging = Path(staging_name)
        shutil.copytree(bundle, staging / PREFIX, symlinks=True)
        _write(staging / "usr/bin" / PACKAGE, LAUNCHER, 0o755)
        applications = staging / "usr/share/applications"
        applications.mkdir(parents=True)
        shutil.copy(INSTALLER / "nurse-station.desktop", applications / "nurse-station.desktop")
        icon_dir = staging / "usr/share/icons/hicolor/scalable/apps"
        icon_dir.mkdir(parents=True)
        shutil.copy(INSTALLER / "nurse-station.svg", icon_dir / "nurse-station.svg")
        for path in (staging / "usr").rglob("*"):
            if path.is_file() and path.name != PACKAGE:
                path.chmod(0o644)
        control = staging / "DEBIAN"
        _write(
            control / "control",
            f"Package: {PACKAGE}\n"
            f"Version: {ver}\n"
            f"Architecture: {arch}\n"
            "Maintainer: Hospital IT <it@hospital.invalid>\n"
            f"Installed-Size: {_size_kib(staging)}\n"
            f"Depends: {DEPENDS}\n"
            f"Recommends: {RECOMMENDS}\n"
            "Section: misc\n"
            "Priority: optional\n"
            "Description: Follow-up Nurse Station (随访护士站)\n"
            " Post-discharge phone follow-up for ward nurses: worklist, call scripts,\n"
            " structured scales with voice input, offline cache that syncs with the\n"
            " hospital's central follow-up service.\n",
        )
        _write(control / "postinst", POSTINST, 0o755)
        _write(control / "prerm", PRERM, 0o755)
        _write(control / "postrm", POSTRM, 0o755)
        deb = out_dir / f"{PACKAGE}_{ver}_{arch}.deb"
        subprocess.run(
            [
                "dpkg-deb",
                "--root-owner-group",
                f"-Z{compression}",
                f"-z{level}",
                "--build",
                str(staging),
                str(deb),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / PACKAGE, help="PyInstaller build")
    parser.add_argument("--build", action="store_true", help="run PyInstaller first")
    parser.add_argument(
        "--voice-model", type=Path, default=None, help="bundle this Vosk model (with --build)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the .deb goes")
    parser.add_argument("--compression", choices=["gzip", "xz", "zstd", "none"], default="gzip")
    parser.add_argument("--level", type=int, default=6, help="compression level (1 = fastest)")
    args = parser.parse_args(argv)
    bundle = args.bundle
    if args.build:
        bundle = build_bundle(args.out, ROOT / "build" / "pyinstaller", args.voice_model)
    elif args.voice_model:
        parser.error("--voice-model needs --build (the model is bundled by PyInstaller)")
    deb = build_deb(bundle, args.out, compression=args.compression, level=args.level)
    print(deb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
