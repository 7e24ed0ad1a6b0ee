"""Scale life cycle: draft → published → retired, immutability, new versions and copies, draft edits."""

from __future__ import annotations

import dataclasses

import pytest

from nurse_app.domain.errors import DomainError, InvalidTransition
from nurse_app.domain.forms import (
    FormDefinitionError,
    ImmutableDefinitionError,
    Item,
    ItemType,
    LocalText,
    add_item,
    copy_as,
    edit,
    new_version,
    publish,
    remove_item,
    replace_item,
    retire,
    set_critical_rules,
    set_scores,
    set_title,
)
from nurse_app.domain.forms.samples import phq9
from nurse_app.domain.model import PublicationStatus

NOTE = Item("note", ItemType.TEXT, LocalText("备注", "Note"))


def test_publish_then_retire() -> None:
    draft = phq9(status="draft")
    published = publish(draft)
    assert published.status is PublicationStatus.PUBLISHED
    assert draft.status is PublicationStatus.DRAFT  # the input is untouched
    retired = retire(published)
    assert retired.status is PublicationStatus.RETIRED
    assert (retired.code, retired.version, retired.items) == (draft.code, draft.version, draft.items)


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("published", publish),
        ("retired", publish),
        ("draft", retire),
        ("retired", retire),
        ("draft", new_version),
    ],
)
def test_invalid_transitions(status: str, action: object) -> None:
    defn = phq9(status=status)
    with pytest.raises(InvalidTransition) as info:
        action(defn)  # type: ignore[operator]
    assert isinstance(info.value, DomainError)
    assert "PHQ-9 v1" in str(info.value)


def test_publishing_an_invalid_draft_lists_its_problems() -> None:
    broken = add_item(phq9(status="draft"), Item("q1", ItemType.STRING))
    with pytest.raises(FormDefinitionError) as info:
        publish(broken)
    assert info.value.codes == ["duplicate_link_id"]


@pytest.mark.parametrize("status", ["published", "retired"])
def test_published_and_retired_versions_are_immutable(status: str) -> None:
    defn = phq9(status=status)
    for mutate in (
        lambda d: set_title(d, LocalText("新", "New")),
        lambda d: add_item(d, NOTE),
        lambda d: replace_item(d, NOTE),
        lambda d: remove_item(d, "q1"),
        lambda d: set_scores(d, []),
        lambda d: set_critical_rules(d, []),
        lambda d: edit(d, items=()),
    ):
        with pytest.raises(ImmutableDefinitionError):
            mutate(defn)
    with pytest.raises(dataclasses.FrozenInstanceError):
        defn.version = 2  # type: ignore[misc]


def test_new_version_is_a_draft_with_the_next_number() -> None:
    published = phq9()
    draft = new_version(published)
    assert (draft.code, draft.version, draft.status) == ("PHQ-9", 2, PublicationStatus.DRAFT)
    assert draft.items == published.items
    assert new_version(retire(published)).version == 2
    edited = add_item(draft, NOTE)
    assert edited.find("note") == NOTE
    assert published.find("note") is None
    assert publish(edited).version == 2


def test_copy_as_starts_a_new_scale_at_version_one() -> None:
    copy = copy_as(publish(new_version(phq9())), "PHQ-9-WARD3")
    assert (copy.code, copy.version, copy.status) == ("PHQ-9-WARD3", 1, PublicationStatus.DRAFT)
    with pytest.raises(DomainError):
        copy_as(phq9(), "PHQ-9")
    with pytest.raises(DomainError):
        copy_as(phq9(), " ")


def test_draft_editing_helpers() -> None:
    draft = phq9(status="draft")
    draft = add_item(draft, NOTE, parent="phq", position=0)
    assert [i.link_id for i in draft.items[0].items][:2] == ["note", "q1"]
    draft = add_item(draft, Item("end", ItemType.DISPLAY))
    assert draft.items[-1].link_id == "end"
    renamed = dataclasses.replace(NOTE, text=LocalText("护理备注", "Nursing note"))
    draft = replace_item(draft, renamed)
    assert draft.find("note").text.zh == "护理备注"
    draft = remove_item(draft, "note")
    assert draft.find("note") is None
    assert set_title(draft, LocalText("抑郁筛查", "Depression")).title.en == "Depression"
    assert set_critical_rules(draft, []).critical_rules == ()
    for bad in (
        lambda: add_item(draft, NOTE, parent="missing"),
        lambda: replace_item(draft, Item("missing", ItemType.STRING)),
        lambda: remove_item(draft, "missing"),
        lambda: edit(draft, version=9),
    ):
        with pytest.raises(DomainError):
            bad()
