"""Every string the desktop shows is in the catalogue, in Chinese; no entry is left untranslated."""

from __future__ import annotations

import ast
from pathlib import Path

import polib

from ui.i18n import CATALOGUE_DIR, load_catalogue

UI_DIR = Path(__file__).resolve().parent.parent / "ui"


def _marked_strings() -> dict[str, str]:
    """Literal arguments of ``_()`` and ``N_()`` in ui/, with where they were found."""
    found: dict[str, str] = {}
    for source in UI_DIR.rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, f"{source.relative_to(UI_DIR.parent)}:{node.lineno}")
    return found


def test_every_marked_string_has_a_chinese_translation():
    chinese = load_catalogue("zh_CN")
    missing = {text: where for text, where in _marked_strings().items() if text not in chinese}
    assert not missing, "untranslated (add to resources/i18n/zh_CN/*.po):\n" + "\n".join(
        f"  {where}: {text!r}" for text, where in sorted(missing.items(), key=lambda kv: kv[1])
    )


def test_catalogue_files_have_no_untranslated_or_fuzzy_entries():
    for po_file in (CATALOGUE_DIR / "zh_CN").glob("*.po"):
        catalogue = polib.pofile(str(po_file))
        assert not catalogue.untranslated_entries(), f"{po_file.name}: untranslated entries"
        assert not catalogue.fuzzy_entries(), f"{po_file.name}: fuzzy entries"
