"""Work around PySide6 6.12.0 on Python 3.11: every ``None``/bool it returns costs a reference.

PySide6 6.12.0 (abi3 wheel) returns ``None`` from every void method, and
``True``/``False`` from QVariant reads, without taking a reference. On Python
3.12+ these objects are immortal (PEP 683) so nothing happens; on 3.11 each
call lowers the count until the interpreter aborts with "none_dealloc:
deallocating None" — after some tens of thousands of Qt calls, i.e. minutes
into a designer session or halfway through a GUI test run. 6.11.3 does not
have the bug (measured: ``QLineEdit.setText`` x100 → None count −100 on 6.12.0,
0 on 6.11.3).

The real fix is outside this package (pin ``PySide6-Essentials!=6.12.0`` or move
to Python ≥ 3.12). Until then :func:`install` gives the three singletons a
huge extra count, which is what 3.12 does by design: they are never freed
during a run anyway. It only acts on the affected combination.
"""

from __future__ import annotations

import ctypes
import sys

import PySide6

_EXTRA = 1 << 40  # far beyond any number of calls a process makes, far below Py_ssize_t overflow
_installed = False


def affected() -> bool:
    return sys.version_info < (3, 12) and PySide6.__version__.startswith("6.12.")


def install() -> bool:
    """Make ``None``, ``True`` and ``False`` effectively immortal when the buggy PySide6 is in use."""
    global _installed
    if _installed or not affected():
        return False
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every object in release builds of CPython 3.11.
        count = ctypes.c_ssize_t.from_address(id(singleton))
        count.value += _EXTRA
    _installed = True
    return True
