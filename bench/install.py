"""Size of the installers and start time of the installed desk against starting from source.

Run from the repository root as root on Debian: ``python bench/install.py`` (builds the
PyInstaller bundle and the .deb into ``bench/.cache/install``, installs the .deb, times it and
purges it again). ``--bundle DIR`` reuses an existing build; without root the bundle itself is
timed instead of the installed package.

* ``bundle_mb``: the one-folder build without a voice model (bar: < 350 MB).
* ``deb_mb``: the .deb (gzip -6, as shipped).
* ``installed_start_s``: launching ``/usr/bin/nurse-station --smoke`` until it prints READY —
  imports, Qt, a fresh SQLCipher cache migrated and filled with a small demo ward, the main
  window showing its first worklist page (median of ``--runs`` after one warm-up).
* ``source_start_s``: the same ``--smoke`` from the source tree with the venv's Python.

Last line: ``bundle_mb=… deb_mb=… installed_start_s=… source_start_s=… start_ratio=…``
(bar: start_ratio ≤ 1.5).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "installer"))

import build_deb  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache" / "install"
ENTRY = ROOT / "installer" / "nurse_station_entry.py"


def _mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def start_seconds(command: list[str]) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd="/")
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("READY"):
            elapsed = time.perf_counter() - started
            break
    else:
        raise RuntimeError(f"{command[0]} never became ready")
    child.wait(timeout=60)
    return elapsed


def median_start(command: list[str], runs: int) -> float:
    start_seconds(command)  # warm the OS file cache, as on a ward PC used daily
    return statistics.median(start_seconds(command) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bundle", type=Path, default=None, help="reuse this PyInstaller build")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    bundle = args.bundle or build_deb.build_bundle(CACHE / "dist", CACHE / "work", voice_model=None)
    deb = build_deb.build_deb(bundle, CACHE)
    bundle_mb, deb_mb = _mb(bundle), _mb(deb)
    print(f"bundle {bundle}: {bundle_mb:.0f} MB; {deb.name}: {deb_mb:.0f} MB", flush=True)

    installed = (
        os.geteuid() == 0 and subprocess.run(["dpkg", "-i", str(deb)], capture_output=True).returncode == 0
    )
    try:
        program = "/usr/bin/nurse-station" if installed else str(bundle / "nurse-station")
        print(f"timing {program} --smoke", flush=True)
        installed_s = median_start([program, "--smoke"], args.runs)
    finally:
        if installed:
            subprocess.run(["dpkg", "-P", build_deb.PACKAGE], capture_output=True)
    source_s = median_start([sys.executable, str(ENTRY), "--smoke"], args.runs)
    print(f"installed start {installed_s:.2f} s, from source {source_s:.2f} s")
    print(
        f"bundle_mb={bundle_mb:.0f} deb_mb={deb_mb:.0f} installed_start_s={installed_s:.2f} "
        f"source_start_s={source_s:.2f} start_ratio={installed_s / source_s:.2f}"
    )


if __name__ == "__main__":
    main()
