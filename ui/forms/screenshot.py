"""Render bundled scales with example answers to PNG, for the docs and for checking the layout by eye.

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python -m ui.forms.screenshot docs/screenshots

Writes ``form_general_followup_<lang>.png`` (critical banner showing) and
``form_phq9_<lang>.png`` (live score and band) in zh_CN and en, at 1366×768.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from nurse_app.desk.scales import definition_for
from ui.forms.form_view import ScaleFormView
from ui.i18n import set_language

WINDOW = (1366, 768)

EXAMPLES: dict[str, dict[str, object]] = {
    "general_followup": {
        "symptoms": ["dizziness", "palpitations"],
        "systolic_bp": 182,
        "diastolic_bp": 104,
        "temperature": 36.8,
        "heart_rate": 96,
        "pain_nrs": 3,
        "medication_adherence": "occasional_miss",
        "has_wound": False,
    },
    "phq9": {"q1": "1", "q2": "2", "q3": "1", "q4": "2", "q5": "1", "q6": "0", "q7": "1"},
}


def render(code: str, lang: str, folder: Path) -> Path:
    """Show scale ``code`` with its example answers in ``lang`` and save the window as a PNG."""
    set_language(lang)
    view = ScaleFormView(definition_for(None, code), answers=EXAMPLES[code])
    view.setWindowTitle(code)
    view.resize(*WINDOW)
    view.show()
    view.show_all_problems()  # what the nurse sees after pressing 提交 too early
    QApplication.processEvents()
    path = folder / f"form_{code}_{lang}.png"
    view.grab().save(str(path))
    view.close()
    return path


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    for lang in ("zh_CN", "en"):
        for code in EXAMPLES:
            print(render(code, lang, folder))
    set_language("zh_CN")
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
