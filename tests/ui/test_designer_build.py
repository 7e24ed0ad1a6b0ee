"""The scale designer: build a scale by drag and drop, edit it, preview it live, undo and redo."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QRadioButton

from nurse_app.domain.forms import EnableWhen, FormDefinition, ItemType
from ui.designer.testing import drop_move, drop_new, select, type_into
from ui.designer.window import DesignerWindow


@pytest.fixture
def designer(qtbot, tmp_path, monkeypatch) -> DesignerWindow:
    monkeypatch.setenv("FOLLOWUP_HOME", str(tmp_path / "home"))
    window = DesignerWindow()
    window.lifecycle.confirm = lambda _text: True
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    return window


def build_small_scale(window: DesignerWindow) -> list[FormDefinition]:
    """Group with two choice items and a yes/no, a condition and a score, built as an author would.

    Returns the definition after every step (for the undo/redo test).
    """
    states = [window.document.definition]

    def step() -> None:
        states.append(window.document.definition)

    drop_new(window, ItemType.GROUP)
    step()
    for item_type in (ItemType.CHOICE, ItemType.CHOICE, ItemType.BOOLEAN):
        drop_new(window, item_type, parent=(0,))  # dropped *on* the group: appended inside it
        step()

    select(window, (0, 0))
    fields = window.item_panel.fields
    type_into(fields.link_id, "pain")
    step()
    type_into(fields.text_zh, "今天有疼痛吗？")
    step()
    type_into(fields.text_en, "Any pain today?")
    step()
    options = window.item_panel.options.rows
    options.set_cell_text(0, 1, "无")
    step()
    options.set_cell_text(1, 1, "有")
    step()
    options.add_button.click()  # a third option: code 3, score 2
    step()

    select(window, (0, 1))
    type_into(fields.link_id, "pain_site")
    step()
    conditions = window.item_panel.conditions.rows
    conditions.add_button.click()  # the question just before (pain) = its first option
    step()
    conditions.set_cell_value(0, 2, "2")  # … changed to option 2 "有"
    step()

    window.tabs.setCurrentWidget(window.score_panel)
    scores = window.score_panel
    scores.add_button.click()
    step()
    scores.members.add_button.click()  # pain
    step()
    scores.members.add_button.click()  # pain_site
    step()
    scores.bands.add_button.click()
    step()
    scores.bands.set_cell_text(0, 1, "1")
    step()
    scores.bands.set_cell_text(0, 2, "轻")
    step()
    scores.bands.add_button.click()
    step()
    scores.bands.set_cell_text(1, 1, "6")
    step()
    scores.bands.set_cell_text(1, 2, "重")
    step()
    return states


def test_build_a_scale_by_drag_and_drop(designer):
    build_small_scale(designer)
    defn = designer.document.definition
    (group,) = defn.items
    assert group.type == ItemType.GROUP
    assert [(i.link_id, i.type) for i in group.items] == [
        ("pain", ItemType.CHOICE),
        ("pain_site", ItemType.CHOICE),
        ("q3", ItemType.BOOLEAN),
    ]
    pain = group.items[0]
    assert pain.text.zh == "今天有疼痛吗？" and pain.text.en == "Any pain today?"
    assert [(o.code, o.display.zh, o.ordinal) for o in pain.answer_options] == [
        ("1", "无", 0),
        ("2", "有", 1),
        ("3", "选项3", 2),
    ]
    assert group.items[1].enable_when == (EnableWhen("pain", "=", "2"),)
    (score,) = defn.scores
    assert [e.link_id for e in score.items] == ["pain", "pain_site"]
    assert [(b.min, b.max, b.label.zh) for b in score.bands] == [(0, 1, "轻"), (2, 6, "重")]
    assert designer.problems.problems == []
    # The tree shows what was built, nested.
    model = designer.tree_pane.model
    assert model.rowCount(model.index_for_path((0,))) == 3
    assert model.index_for_path((0, 1)).data() == "新题目"


def test_preview_shows_and_hides_the_conditional_item(designer, qtbot):
    build_small_scale(designer)
    preview = designer.preview
    qtbot.waitUntil(lambda: preview.shown_definition is designer.document.definition, timeout=3000)
    view = preview.view
    assert view.item_widgets["pain_site"].isHidden()
    _none, some, _third = view.rows["pain"].editor.findChildren(QRadioButton)
    some.click()
    assert not view.item_widgets["pain_site"].isHidden()
    assert "1" in view.score_summary.text()

    # Another edit rebuilds the preview after the debounce; the answer given is kept.
    select(designer, (0, 2))
    type_into(designer.item_panel.fields.text_zh, "需要复诊吗？")
    qtbot.waitUntil(lambda: preview.view is not view, timeout=3000)
    assert preview.view.answers() == {"pain": "2"}
    assert not preview.view.item_widgets["pain_site"].isHidden()
    preview.view.rows["pain"].editor.findChildren(QRadioButton)[1].click()
    assert preview.view.item_widgets["pain_site"].isHidden()  # a second click clears: hidden again


def test_undo_and_redo_restore_every_state(designer, qtbot):
    states = build_small_scale(designer)
    stack = designer.document.undo_stack
    assert stack.count() == len(states) - 1  # every edit is one command
    for expected in reversed(states[:-1]):
        designer.undo_action.trigger()
        assert designer.document.definition == expected
    assert designer.document.definition.items == ()
    for expected in states[1:]:
        designer.redo_action.trigger()
        assert designer.document.definition == expected
    # The keyboard: Ctrl+Z and Ctrl+Y on the window.
    designer.activateWindow()
    designer.tree_pane.tree.setFocus()
    qtbot.keyClick(designer.tree_pane.tree, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert designer.document.definition == states[-2]
    qtbot.keyClick(designer.tree_pane.tree, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert designer.document.definition == states[-1]


def test_problems_list_catches_duplicate_link_id_and_forward_enable_when(designer):
    build_small_scale(designer)
    problems = designer.problems
    select(designer, (0, 2))
    type_into(designer.item_panel.fields.link_id, "pain")
    assert "duplicate_link_id" in problems.codes()
    designer.undo_action.trigger()
    assert problems.codes() == []

    # Drag the conditional item above the question it depends on.
    assert drop_move(designer, (0, 1), (0,), 0)
    assert [i.link_id for i in designer.document.definition.items[0].items] == ["pain_site", "pain", "q3"]
    assert problems.codes() == ["enable_when_forward"]
    assert "pain" in problems.list.item(0).text()

    # Clicking the problem selects the item it is about.
    select(designer, (0, 2))
    problems.list.itemClicked.emit(problems.list.item(0))
    assert designer.tree_pane.selected_path() == (0, 0)
    assert designer.item_panel.path == (0, 0)
    assert designer.tabs.currentWidget() is designer.item_panel

    # The condition editor offers only earlier questions: pain_site is first now, so none but the flagged one.
    choices = designer.item_panel.conditions._question_choices(["pain", "=", "2"])
    assert choices == [("⚠ pain", "pain")]


def test_problems_for_scores_point_to_the_scores_tab(designer):
    build_small_scale(designer)
    select(designer, (0, 0))
    designer.item_panel.fields.type_combo.setCurrentIndex(
        designer.item_panel.fields.type_combo.findData("string")
    )
    assert "score_item_not_scorable" in designer.problems.codes()
    problem = next(p for p in designer.problems.problems if p.code == "score_item_not_scorable")
    designer.show_problem(problem)
    assert designer.tabs.currentWidget() is designer.score_panel


def test_tree_reorders_and_nests_by_dragging(designer):
    build_small_scale(designer)
    assert drop_move(designer, (0, 2), None, -1)  # yes/no out of the group, to the end
    items = designer.document.definition.items
    assert [i.link_id for i in items] == ["group1", "q3"]
    assert drop_move(designer, (1,), (0,), 1)  # back into the group, between the two choices
    assert [i.link_id for i in designer.document.definition.items[0].items] == ["pain", "q3", "pain_site"]
    assert not drop_move(designer, (0,), (0,), 0)  # a group never goes into itself
    assert designer.tree_pane.selected_path() == (0, 1)


def test_delete_and_duplicate(designer):
    build_small_scale(designer)
    select(designer, (0, 0))
    designer.tree_pane.duplicate_button.click()
    items = designer.document.definition.items[0].items
    assert [i.link_id for i in items] == ["pain", "pain_2", "pain_site", "q3"]
    assert items[1].answer_options == items[0].answer_options
    assert designer.tree_pane.selected_path() == (0, 1)
    designer.tree_pane.delete_button.click()
    assert [i.link_id for i in designer.document.definition.items[0].items] == ["pain", "pain_site", "q3"]


def test_renaming_a_link_id_carries_conditions_scores_and_rules(designer):
    build_small_scale(designer)
    select(designer, (0, 0))
    type_into(designer.item_panel.fields.link_id, "pain_today")
    defn = designer.document.definition
    assert defn.items[0].items[1].enable_when[0].question == "pain_today"
    assert defn.scores[0].items[0].link_id == "pain_today"
    assert designer.problems.codes() == []


def test_critical_rule_editor(designer):
    build_small_scale(designer)
    designer.tabs.setCurrentWidget(designer.rules_panel)
    rules = designer.rules_panel.rows
    rules.add_button.click()  # the last target offered is the score
    rules.set_cell_text(0, 3, "5")
    rules.set_cell_text(0, 5, "疼痛评分{value}分")
    (rule,) = designer.document.definition.critical_rules
    assert (rule.code, rule.target, rule.operator, rule.threshold) == ("RULE1", "total", ">=", 5)
    assert rule.message.zh == "疼痛评分{value}分"
    assert designer.problems.codes() == []
    rules.set_cell_value(0, 1, "pain")
    rules.set_cell_value(0, 2, "in")
    rules.set_cell_text(0, 3, "2, 3")
    assert designer.document.definition.critical_rules[0].threshold == ("2", "3")
    assert designer.problems.codes() == []
