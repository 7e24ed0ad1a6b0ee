"""ScaleFormView: every item type, enableWhen, inline problems, live scores and the critical banner."""

from __future__ import annotations

import time
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDateTimeEdit,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
)

from nurse_app.desk.scales import definition_for
from nurse_app.domain.forms import evaluate, from_dict, samples
from ui.forms import ScaleFormView
from ui.forms.choice_fields import ChoiceButtons, ChoiceCombo, OpenChoiceCombo
from ui.forms.date_fields import DateField
from ui.forms.input_fields import NumberField, StringField, TextField
from ui.i18n import set_language


def _t(zh: str, en: str) -> dict[str, str]:
    return {"zh_CN": zh, "en": en}


def _options(count: int) -> list[dict[str, Any]]:
    return [
        {"code": f"o{n}", "display": _t(f"选项{n}", f"Option {n}"), "ordinalValue": n} for n in range(count)
    ]


def every_type_dict() -> dict[str, Any]:
    """A scale with one item of every type the engine knows, a nested group and a display text."""
    return {
        "code": "every_type",
        "version": 1,
        "status": "published",
        "title": _t("全部题型", "Every item type"),
        "item": [
            {"linkId": "intro", "type": "display", "text": _t("请逐项询问", "Ask every question")},
            {"linkId": "outer", "type": "group", "text": _t("外层分组", "Outer group"), "item": [
                {"linkId": "inner", "type": "group", "text": _t("内层分组", "Inner group"), "item": [
                    {"linkId": "yes_no", "type": "boolean", "text": _t("是否", "Yes or no")},
                ]},
                {"linkId": "radio", "type": "choice", "text": _t("单选", "Radio"),
                 "answerOption": _options(3)},
            ]},
            {"linkId": "combo", "type": "choice", "text": _t("下拉", "Drop-down"),
             "answerOption": _options(8)},
            {"linkId": "multi", "type": "choice", "repeats": True, "text": _t("多选", "Several"),
             "answerOption": _options(4)},
            {"linkId": "open", "type": "open-choice", "text": _t("可填选项", "Open choice"),
             "answerOption": _options(3)},
            {"linkId": "count", "type": "integer", "minValue": 0, "maxValue": 10,
             "text": _t("整数", "Integer")},
            {"linkId": "temp", "type": "decimal", "text": _t("小数", "Decimal")},
            {"linkId": "sbp", "type": "quantity", "unit": "mmHg", "text": _t("数量", "Quantity")},
            {"linkId": "name", "type": "string", "text": _t("文本", "String"), "required": True},
            {"linkId": "note", "type": "text", "text": _t("备注", "Text")},
            {"linkId": "day", "type": "date", "text": _t("日期", "Date")},
            {"linkId": "moment", "type": "dateTime", "text": _t("时间", "Date and time")},
            {"linkId": "fixed", "type": "string", "readOnly": True, "initial": ["院内"],
             "text": _t("只读", "Fixed")},
        ],
    }  # fmt: skip


FULL_ANSWERS: dict[str, object] = {
    "yes_no": False,
    "radio": "o2",
    "combo": "o7",
    "multi": ["o1", "o3"],
    "open": "在家附近的诊所",
    "count": 7,
    "temp": 37.5,
    "sbp": {"value": 150, "unit": "mmHg"},
    "name": "李娜",
    "note": "第一行\n第二行",
    "day": "2026-12-05",
    "moment": "2026-11-27T21:30:00+08:00",
    "fixed": "院内",
}


@pytest.fixture
def make_view(qtbot):
    def make(definition, **kwargs) -> ScaleFormView:
        view = ScaleFormView(definition, **kwargs)
        qtbot.addWidget(view)
        view.resize(1000, 700)
        view.show()
        return view

    return make


def test_every_item_type_renders_and_round_trips(make_view):
    view = make_view(from_dict(every_type_dict()))
    editors = {link_id: row.editor for link_id, row in view.rows.items()}
    assert (
        isinstance(editors["yes_no"], ChoiceButtons)
        and len(editors["yes_no"].findChildren(QRadioButton)) == 2
    )
    assert len(editors["radio"].findChildren(QRadioButton)) == 3
    assert isinstance(editors["combo"], ChoiceCombo) and editors["combo"].combo.count() == 9  # + "— 请选择 —"
    assert len(editors["multi"].findChildren(QCheckBox)) == 4
    assert isinstance(editors["open"], OpenChoiceCombo) and editors["open"].combo.isEditable()
    assert all(isinstance(editors[k], NumberField) for k in ("count", "temp", "sbp"))
    assert editors["sbp"].unit_label.text() == "mmHg"
    assert isinstance(editors["name"], StringField) and isinstance(editors["name"].edit, QLineEdit)
    assert isinstance(editors["note"], TextField) and isinstance(editors["note"].edit, QPlainTextEdit)
    assert isinstance(editors["day"], DateField) and type(editors["day"].edit).__mro__[1] is QDateEdit
    assert isinstance(editors["moment"].edit, QDateTimeEdit) and editors["moment"].edit.calendarPopup()
    assert not any(isinstance(e, QLineEdit) and e.inherits("QSpinBox") for e in view.findChildren(QLineEdit))
    assert "*" in view.rows["name"].label.text()  # the required marker
    assert editors["count"].edit.placeholderText() == "0–10"  # the range as a hint
    assert view.item_widgets["intro"].text() == "请逐项询问"
    assert view.item_widgets["inner"].title() == "内层分组"
    assert view.answers() == {"fixed": "院内"}  # the initial value, and nothing else
    assert editors["fixed"].edit.isReadOnly()

    view.set_answers(FULL_ANSWERS)
    assert view.answers() == FULL_ANSWERS
    assert view.evaluation().ok
    view.set_answers({})
    assert view.answers() == {}
    assert editors["day"].value() is None and editors["moment"].value() is None  # the empty date state


def test_open_choice_keeps_an_option_code_or_free_text(make_view, qtbot):
    view = make_view(from_dict(every_type_dict()))
    combo = view.rows["open"].editor.combo
    combo.setCurrentIndex(1)
    assert view.answers()["open"] == "o1"
    combo.setEditText("自己写的")  # QTest types ASCII only; an input method commits text like this
    assert view.answers()["open"] == "自己写的"
    combo.setEditText("")
    qtbot.keyClicks(combo.lineEdit(), "Option 2")  # the display text of an option means the option
    assert view.answers()["open"] == "o2"


def test_enable_when_hides_and_shows_items(make_view, qtbot):
    view = make_view(samples.discharge_followup())
    wound = view.item_widgets["wound"]
    assert wound.isHidden()
    yes, _no = view.rows["has_wound"].editor.findChildren(QRadioButton)
    qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
    assert not wound.isHidden() and view.answers()["has_wound"] is True
    qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)  # a second click clears the answer
    assert wound.isHidden() and "has_wound" not in view.answers()


@pytest.mark.parametrize(
    ("lang", "expected"), [("zh_CN", "“收缩压”不能大于300"), ("en", "'Systolic BP' must be at most 300")]
)
def test_an_invalid_value_shows_an_inline_message(make_view, qtbot, lang, expected):
    set_language(lang)
    view = make_view(samples.discharge_followup())
    row = view.rows["sbp"]
    qtbot.keyClicks(row.editor.edit, "500")
    assert row.problem.isHidden()  # not while the nurse is still typing
    qtbot.keyClick(row.editor.edit, Qt.Key.Key_Return)
    assert not row.problem.isHidden() and row.problem.text() == expected
    row.editor.edit.clear()
    qtbot.keyClicks(row.editor.edit, "120")
    assert row.problem.isHidden()


def test_a_submit_attempt_shows_every_problem_and_focuses_the_first(make_view, qtbot):
    set_language("en")
    view = make_view(samples.discharge_followup())
    assert all(row.problem.isHidden() for row in view.rows.values())
    assert view.focus_first_problem() == "has_wound"
    assert view.rows["has_wound"].problem.text() == "Please answer this question"
    target = view.rows["has_wound"].editor.focus_target()
    assert view.focusWidget() is target  # hasFocus() needs an active window, which offscreen may not give
    assert not view.rows["pain"].problem.isHidden()


def test_the_form_follows_the_application_language(make_view):
    view = make_view(samples.phq9())
    assert "做事时提不起劲" in view.rows["q1"].label.text()
    set_language("en")
    assert "Little interest" in view.rows["q1"].label.text()
    assert view.rows["q1"].editor.findChildren(QRadioButton)[0].text() == "Not at all"
    pinned = make_view(samples.phq9(), lang="zh_CN")
    pinned.set_language("zh_CN")
    set_language("en")
    assert "做事时提不起劲" in pinned.rows["q1"].label.text()


def test_live_score_and_band_with_number_keys(make_view, qtbot):
    view = make_view(definition_for(None, "phq9"))
    assert "0" in view.score_summary.text() and not view.score_summary.isHidden()
    for link_id, key in (("q1", Qt.Key.Key_3), ("q2", Qt.Key.Key_4), ("q3", Qt.Key.Key_2)):
        target = view.rows[link_id].editor.focus_target()
        qtbot.keyClick(target, key)  # 1 = first option, so 3 = ordinal 2
    assert view.answers() == {"q1": "2", "q2": "3", "q3": "1"}
    total = view.evaluation().scores["total"]
    assert total.value == 6 and total.label == "轻度抑郁"
    assert "：6" in view.score_summary.text() and "轻度" in view.score_summary.text()
    qtbot.keyClick(view.rows["q2"].editor.focus_target(), Qt.Key.Key_0)  # 0 clears
    assert "q2" not in view.answers() and view.evaluation().scores["total"].value == 3


def test_critical_banner_appears_on_sbp_180_and_goes_when_corrected(make_view, qtbot):
    view = make_view(definition_for(None, "general_followup"))
    emitted: list[list] = []
    view.sig_critical.connect(emitted.append)
    edit = view.rows["systolic_bp"].editor.edit
    qtbot.keyClicks(edit, "18")
    assert view.banner.isHidden() and emitted == []  # 18 is below the scale's minimum: still typing
    qtbot.keyClick(edit, Qt.Key.Key_0)
    assert not view.banner.isHidden()
    assert [a.rule_code for a in emitted[-1]] == ["SBP_HIGH"]
    assert any("180" in line for line in view.banner.messages())
    edit.clear()
    qtbot.keyClicks(edit, "130")
    assert view.banner.isHidden() and emitted[-1] == []


def _sixty_items() -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for n in range(20):
        items.append(
            {
                "linkId": f"c{n}",
                "type": "choice",
                "required": True,
                "text": f"问题{n}",
                "answerOption": _options(4),
            }
        )
        items.append(
            {"linkId": f"v{n}", "type": "integer", "minValue": 0, "maxValue": 300, "text": f"数值{n}"}
        )
        items.append(
            {
                "linkId": f"d{n}",
                "type": "string",
                "text": f"说明{n}",
                "enableWhen": [{"question": f"c{n}", "operator": ">", "answer": 1}],
            }
        )
    bands = [{"min": 0, "max": 30, "label": "低"}, {"min": 31, "max": 60, "label": "高"}]
    rules = [
        {"code": f"high{n}", "target": f"v{n}", "operator": ">=", "threshold": 200, "severity": "critical",
         "message": "高{value}"}
        for n in range(20)
    ]  # fmt: skip
    score = {"name": "sum", "item": [{"linkId": f"c{n}"} for n in range(20)], "band": bands}
    return {"code": "sixty", "version": 1, "status": "published", "title": "60", "item": items,
            "score": [score], "criticalRule": rules}  # fmt: skip


def test_a_keystroke_on_a_sixty_item_scale_stays_fast(make_view, qtbot):
    definition = from_dict(_sixty_items())
    view = make_view(definition, answers={f"c{n}": f"o{n % 4}" for n in range(20)})
    started = time.perf_counter()
    for _ in range(50):
        evaluate(definition, view.answers())
    assert (time.perf_counter() - started) / 50 < 0.002  # the engine's budget per keystroke
    edit = view.rows["v19"].editor.edit
    started = time.perf_counter()
    for digit in "1234567890" * 3:
        qtbot.keyClick(edit, digit)
        if len(edit.text()) >= 3:
            edit.clear()
    per_key = (time.perf_counter() - started) / 30
    assert per_key < 0.016, f"{per_key * 1000:.1f} ms per keystroke: slower than one frame"
