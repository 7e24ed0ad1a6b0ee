"""Life cycle of a scale: draft → published → retired, and the editing helpers for drafts.

A published (or retired) version is immutable: responses point at
``(code, version)`` and must always be read against the exact items they were
filled with. Every helper here returns a new :class:`FormDefinition`; the
editing helpers raise :class:`ImmutableDefinitionError` unless given a draft,
and "editing" a published scale means :func:`new_version` first.
"""

from __future__ import annotations

import dataclasses

from nurse_app.domain.errors import DomainError, InvalidTransition
from nurse_app.domain.forms.checks import ensure_valid
from nurse_app.domain.forms.definition import (
    CriticalRule,
    FormDefinition,
    Item,
    LocalText,
    ScoreDefinition,
)
from nurse_app.domain.forms.problems import ImmutableDefinitionError
from nurse_app.domain.model import PublicationStatus

_EDITABLE_FIELDS = frozenset({"title", "items", "scores", "critical_rules"})


def _name(defn: FormDefinition) -> str:
    return f"scale {defn.code} v{defn.version}"


def ensure_draft(defn: FormDefinition) -> None:
    """Raise :class:`ImmutableDefinitionError` unless ``defn`` is a draft."""
    if defn.status != PublicationStatus.DRAFT:
        raise ImmutableDefinitionError(
            f"{_name(defn)} is {defn.status}, not a draft: it cannot be edited; make a new version"
        )


def edit(defn: FormDefinition, **changes: object) -> FormDefinition:
    """A copy of the draft ``defn`` with ``title``/``items``/``scores``/``critical_rules`` replaced.

    Code, version and status are not editable here: they change only through
    :func:`copy_as`, :func:`new_version`, :func:`publish` and :func:`retire`.
    """
    ensure_draft(defn)
    bad = set(changes) - _EDITABLE_FIELDS
    if bad:
        raise DomainError(f"{_name(defn)}: cannot edit {', '.join(sorted(bad))} directly")
    for name in ("items", "scores", "critical_rules"):
        if name in changes:
            changes[name] = tuple(changes[name])  # type: ignore[arg-type]
    return dataclasses.replace(defn, **changes)  # type: ignore[arg-type]


def set_title(defn: FormDefinition, title: LocalText) -> FormDefinition:
    """A copy of the draft with a new title."""
    return edit(defn, title=title)


def _insert(
    items: tuple[Item, ...], item: Item, parent: str | None, position: int | None
) -> tuple[tuple[Item, ...], bool]:
    if parent is None:
        where = len(items) if position is None else position
        return (*items[:where], item, *items[where:]), True
    out = []
    done = False
    for node in items:
        if node.link_id == parent and not done:
            children, _ = _insert(node.items, item, None, position)
            node = dataclasses.replace(node, items=children)
            done = True
        elif not done:
            children, done = _insert(node.items, item, parent, position)
            if done:
                node = dataclasses.replace(node, items=children)
        out.append(node)
    return tuple(out), done


def add_item(
    defn: FormDefinition, item: Item, parent: str | None = None, position: int | None = None
) -> FormDefinition:
    """A copy of the draft with ``item`` added under ``parent`` (top level if None) at ``position`` (end)."""
    ensure_draft(defn)
    items, done = _insert(defn.items, item, parent, position)
    if not done:
        raise DomainError(f"{_name(defn)}: no item '{parent}' to add '{item.link_id}' under")
    return edit(defn, items=items)


def _map(items: tuple[Item, ...], link_id: str, new: Item | None) -> tuple[tuple[Item, ...], bool]:
    out: list[Item] = []
    found = False
    for node in items:
        if node.link_id == link_id and not found:
            found = True
            if new is not None:
                out.append(new)
            continue
        if not found and node.items:
            children, found = _map(node.items, link_id, new)
            if found:
                node = dataclasses.replace(node, items=children)
        out.append(node)
    return tuple(out), found


def replace_item(defn: FormDefinition, item: Item) -> FormDefinition:
    """A copy of the draft with the item of the same linkId replaced by ``item`` (children included)."""
    ensure_draft(defn)
    items, found = _map(defn.items, item.link_id, item)
    if not found:
        raise DomainError(f"{_name(defn)}: no item '{item.link_id}' to replace")
    return edit(defn, items=items)


def remove_item(defn: FormDefinition, link_id: str) -> FormDefinition:
    """A copy of the draft without the item ``link_id`` (and its children)."""
    ensure_draft(defn)
    items, found = _map(defn.items, link_id, None)
    if not found:
        raise DomainError(f"{_name(defn)}: no item '{link_id}' to remove")
    return edit(defn, items=items)


def set_scores(
    defn: FormDefinition, scores: tuple[ScoreDefinition, ...] | list[ScoreDefinition]
) -> FormDefinition:
    """A copy of the draft with its scores replaced."""
    return edit(defn, scores=tuple(scores))


def set_critical_rules(
    defn: FormDefinition, rules: tuple[CriticalRule, ...] | list[CriticalRule]
) -> FormDefinition:
    """A copy of the draft with its critical-value rules replaced."""
    return edit(defn, critical_rules=tuple(rules))


def publish(defn: FormDefinition) -> FormDefinition:
    """The draft, checked and published (raises :class:`FormDefinitionError` if it has problems)."""
    if defn.status != PublicationStatus.DRAFT:
        raise InvalidTransition(_name(defn), str(defn.status), "published", "only a draft can be published")
    ensure_valid(defn)
    return dataclasses.replace(defn, status=PublicationStatus.PUBLISHED)


def retire(defn: FormDefinition) -> FormDefinition:
    """The published version, retired (no new follow-ups use it; old responses still read it)."""
    if defn.status != PublicationStatus.PUBLISHED:
        raise InvalidTransition(
            _name(defn), str(defn.status), "retired", "only a published version can be retired"
        )
    return dataclasses.replace(defn, status=PublicationStatus.RETIRED)


def new_version(defn: FormDefinition) -> FormDefinition:
    """A new draft with ``version + 1`` and the same content, to edit a published or retired scale.

    A draft is edited in place instead: a new version of it would skip a number.
    """
    if defn.status == PublicationStatus.DRAFT:
        raise InvalidTransition(_name(defn), "draft", "new version", "a draft is edited directly")
    return dataclasses.replace(defn, version=defn.version + 1, status=PublicationStatus.DRAFT)


def copy_as(defn: FormDefinition, new_code: str) -> FormDefinition:
    """A new scale ``new_code`` at version 1, draft, with the content of ``defn`` (any status)."""
    if not new_code or not new_code.strip():
        raise DomainError("a copied scale needs a code")
    if new_code == defn.code:
        raise DomainError(f"{_name(defn)}: a copy needs a different code (use new_version for a new version)")
    return dataclasses.replace(defn, code=new_code, version=1, status=PublicationStatus.DRAFT)
