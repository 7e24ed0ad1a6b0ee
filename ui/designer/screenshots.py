"""Screenshots of the designer for the docs: ``python -m ui.designer.screenshots [OUT_DIR]``.

Run under a real X server of the target size so fonts and layout are those of
a ward PC: ``xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python -m ui.designer.screenshots``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from nurse_app.domain.forms import Item
from nurse_app.domain.forms.bundled import bundled_scale
from nurse_app.domain.forms.versioning import new_version
from ui.designer.tree_ops import Path as Path_
from ui.designer.tree_ops import walk_paths
from ui.designer.window import DesignerWindow
from ui.i18n import set_language
from ui.theme import apply_theme

OUT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _settle(app: QApplication, ms: int = 600) -> None:
    done = []
    QTimer.singleShot(ms, lambda: done.append(True))
    while not done:
        app.processEvents()


def take(out_dir: Path = OUT_DIR, code: str = "heart_failure") -> list[Path]:
    """Per language: a draft being edited, the read-only published scale, PHQ-9's scores and rules."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app, large=False)  # type: ignore[arg-type]
    out_dir.mkdir(parents=True, exist_ok=True)
    published = bundled_scale(code)
    shots: list[Path] = []
    for lang in ("zh_CN", "en"):
        set_language(lang)
        for state, definition in (("draft", new_version(published)), ("published", published)):
            window = DesignerWindow(definition)
            window.setGeometry(0, 0, 1366, 768)
            window.show()
            _settle(app)
            # Select a choice item with a condition-worthy neighbour so every section shows.
            target = next(
                path for path, item in _paths(window) if item.answer_options and item.enable_when == ()
            )
            window.tree_pane.select_path(target, by_user=True)
            window.preview.refresh_now()
            _settle(app)
            path = out_dir / f"designer_{state}_{lang}.png"
            window.grab().save(str(path))
            shots.append(path)
            window.document.undo_stack.setClean()
            window.close()
        # Scores and critical values of a scored scale (PHQ-9), as a draft being revised.
        window = DesignerWindow(new_version(bundled_scale("phq9")))
        window.setGeometry(0, 0, 1366, 768)
        window.show()
        for name, panel in (("scores", window.score_panel), ("rules", window.rules_panel)):
            window.tabs.setCurrentWidget(panel)
            if panel is window.rules_panel:
                panel.rows.table.selectRow(0)
            _settle(app)
            path = out_dir / f"designer_{name}_{lang}.png"
            window.grab().save(str(path))
            shots.append(path)
        window.close()
    set_language("zh_CN")
    return shots


def _paths(window: DesignerWindow) -> Iterator[tuple[Path_, Item]]:
    return walk_paths(window.document.definition.items)


if __name__ == "__main__":
    for shot in take(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT_DIR):
        print(shot)
