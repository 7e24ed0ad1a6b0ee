"""Every module imports on its own, whatever was imported before it.

An import cycle hides as long as some other module happens to be imported first (the app's entry
points do); a CLI command, a worker or a test that starts from the other end then fails at start-up.
Each module is imported in turn with the package's modules unloaded before it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

_CHECK = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    packages = sys.argv[1:]
    names = []
    for package in packages:
        root = importlib.import_module(package)
        names += [m.name for m in pkgutil.walk_packages(root.__path__, package + ".")]
    for name in names:
        if ".migrations." in name:
            continue  # Alembic environments run only inside Alembic
        for loaded in [m for m in sys.modules if m.split(".")[0] in packages]:
            del sys.modules[loaded]
        try:
            importlib.import_module(name)
        except Exception as error:
            print(f"{name}: {type(error).__name__}: {error}")
    print(f"checked {len(names)}")
    """
)


@pytest.mark.parametrize("packages", [("nurse_app", "server_sync"), ("ui",)], ids=["core", "ui"])
def test_each_module_imports_first(packages):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", _CHECK, *packages], capture_output=True, text=True, env=env, timeout=300
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0, done.stderr
    assert lines and lines[-1].startswith("checked ") and int(lines[-1].split()[1]) > 50
    assert lines[:-1] == [], "modules that fail when imported first:\n" + "\n".join(lines[:-1])
