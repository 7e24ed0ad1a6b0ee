"""The scale designer's life cycle: save and reopen, publish (read-only), new version, copy, retire, FHIR."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from nurse_app.domain.forms import ItemType, loads
from nurse_app.domain.forms.bundled import bundled_scale
from nurse_app.domain.model import PublicationStatus
from ui.designer.item_model import MIME_NEW_ITEM
from ui.designer.palette import palette_mime
from ui.designer.testing import drop_new, select, type_into
from ui.designer.window import DesignerWindow
from ui.i18n import set_language


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("FOLLOWUP_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def make_designer(qtbot, home):
    def make(definition=None) -> DesignerWindow:
        window = DesignerWindow(definition)
        window.lifecycle.confirm = lambda _text: True
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        return window

    return make


def small_draft(window: DesignerWindow) -> None:
    drop_new(window, ItemType.CHOICE)
    drop_new(window, ItemType.BOOLEAN)
    select(window, (1,))
    window.item_panel.conditions.rows.add_button.click()
    type_into(window.scale_panel.title_zh, "术后随访")


def test_save_and_reopen_round_trip(make_designer, tmp_path):
    window = make_designer()
    small_draft(window)
    assert window.document.dirty and window.windowTitle().endswith("*")
    path = tmp_path / "draft.json"
    assert window.lifecycle.save(path)
    assert not window.document.dirty and not window.windowTitle().endswith("*")
    assert loads(path.read_text(encoding="utf-8")) == window.document.definition

    other = make_designer()
    assert other.open_file(path)
    assert other.document.definition == window.document.definition
    assert other.document.file_path == path and not other.document.read_only
    assert other.document.undo_stack.count() == 0


def test_a_broken_draft_opens_with_its_problems_listed(make_designer, qtbot, tmp_path):
    window = make_designer()
    small_draft(window)
    select(window, (1,))
    type_into(window.item_panel.fields.link_id, "q1")  # now a duplicate
    path = tmp_path / "broken.json"
    window.lifecycle.save(path)
    other = make_designer()
    assert other.open_file(path)
    assert "duplicate_link_id" in other.problems.codes()
    # The preview cannot run a broken scale: it says so (and keeps the last good form, if any).
    qtbot.waitUntil(lambda: not other.preview.notice.isHidden(), timeout=3000)
    assert other.preview.notice.text() == "预览显示的是最近一个没有问题的版本：请先修正问题列表中的问题。"


def test_publish_makes_it_read_only_then_new_version_and_copy(make_designer, qtbot, home, tmp_path):
    window = make_designer()
    small_draft(window)
    path = tmp_path / "scale.json"
    window.lifecycle.save(path)
    assert window.lifecycle.publish()
    qtbot.waitUntil(lambda: window.document.read_only, timeout=5000)
    defn = window.document.definition
    assert defn.status == PublicationStatus.PUBLISHED
    # "Sent": for now into the local scale library, and the message says where.
    published_file = home / "scales" / "new_scale.v1.json"
    assert loads(published_file.read_text(encoding="utf-8")) == defn
    assert str(published_file) in window.message.text()
    assert loads(path.read_text(encoding="utf-8")).status == PublicationStatus.PUBLISHED

    # Read-only: banner, no palette, no drops, no edits.
    assert not window.banner.isHidden()
    assert window.banner_label.text() == "已发布版本不可修改 — 请新建版本"
    assert not window.tree_pane.palette.isEnabled()
    model = window.tree_pane.model
    assert not model.canDropMimeData(
        palette_mime(ItemType.STRING), Qt.DropAction.CopyAction, -1, 0, model.index(0, 0)
    )
    assert not window._actions["publish"].isEnabled() and window._actions["new_version"].isEnabled()
    select(window, (0,))
    type_into(window.item_panel.fields.text_zh, "改不了")
    assert window.document.definition == defn
    assert not window.item_panel.fields.text_zh.isEnabled()

    window.banner_button.click()  # New version
    draft = window.document.definition
    assert (draft.status, draft.version, draft.items) == (PublicationStatus.DRAFT, 2, defn.items)
    assert window.banner.isHidden() and window.tree_pane.palette.isEnabled()
    assert window.document.file_path is None  # v2 must not overwrite the v1 file

    assert window.lifecycle.copy("postop_followup")
    copy = window.document.definition
    assert (copy.code, copy.version, copy.status) == ("postop_followup", 1, PublicationStatus.DRAFT)
    assert copy.items == defn.items


def test_publish_is_refused_while_there_are_problems(make_designer):
    window = make_designer()
    drop_new(window, ItemType.GROUP)  # an empty group is a problem
    assert not window.lifecycle.publish()
    assert not window.document.read_only
    assert "1" in window.message.text()


def test_retire_a_published_version(make_designer):
    window = make_designer(bundled_scale("nrs_pain"))
    assert window.document.read_only and window._actions["retire"].isEnabled()
    assert window.lifecycle.retire()
    assert window.document.definition.status == PublicationStatus.RETIRED
    assert window.banner_label.text() == "已停用版本不可修改 — 请新建版本"
    assert not window._actions["retire"].isEnabled()


def test_bundled_scale_opens_read_only_and_previews(make_designer, qtbot):
    window = make_designer(bundled_scale("phq9"))
    assert window.document.read_only and window.problems.problems == []
    assert window.preview.view is not None
    assert len(window.preview.view.rows) >= 9
    assert window.tree_pane.model.rowCount() == len(window.document.definition.items)


def test_fhir_export_then_import(make_designer, tmp_path):
    pytest.importorskip("nurse_app.domain.forms.fhir")
    window = make_designer(bundled_scale("heart_failure"))
    path = tmp_path / "hf.fhir.json"
    assert window.lifecycle.export_fhir(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["resourceType"] == "Questionnaire" and data["version"] == "1"
    other = make_designer()
    assert other.lifecycle.import_fhir(path)
    assert other.document.definition == window.document.definition


def test_language_switch_retranslates(make_designer):
    window = make_designer()
    small_draft(window)
    assert window.tabs.tabText(1) == "题目" and window._actions["publish"].text() == "发布"
    set_language("en")
    assert window.tabs.tabText(1) == "Item" and window._actions["publish"].text() == "Publish"
    assert window.tree_pane.model.headerData(1, Qt.Orientation.Horizontal) == "Type"
    assert window.tree_pane.model.index(0, 1).data() == "choice"
    set_language("zh_CN")
    assert window.language.currentData() == "zh_CN" and window.tabs.tabText(2) == "评分"


def test_palette_offers_every_item_type(make_designer):
    window = make_designer()
    palette = window.tree_pane.palette
    assert palette.count() == len(ItemType)
    data = palette.mimeData([palette.item(0)])
    assert data.hasFormat(MIME_NEW_ITEM)
    palette.itemDoubleClicked.emit(palette.item(3))  # double-click adds, like a drop at the end
    assert window.document.definition.items[0].type == ItemType.CHOICE
