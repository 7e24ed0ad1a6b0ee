"""Start the designer on its own: ``nurse-station designer [FILE.json]``."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from ui.designer.window import DesignerWindow
from ui.theme import apply_theme


def run_designer(file: Path | None = None) -> int:
    """Open the designer (on ``file`` if given) and run until it is closed; returns the exit status."""
    if file is not None and not Path(file).is_file():
        print(f"nurse-station designer: no such file: {file}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app, large=False)  # type: ignore[arg-type]
    window = DesignerWindow()
    if file is not None and not window.open_file(Path(file)):
        print(f"nurse-station designer: cannot open {file}", file=sys.stderr)
        return 2
    window.document.undo_stack.setClean()
    window.show()
    return app.exec()
