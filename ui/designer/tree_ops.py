"""Pure edits of a draft's item tree, addressed by *path* (row indexes from the top), not by linkId.

The designer must keep working while a draft is broken — in particular while
two items share a linkId, which is exactly when the engine's linkId-based
helpers (``replace_item``/``remove_item``) would pick the wrong one. Paths are
unambiguous, so every tree edit of the designer goes through here and ends in
:func:`nurse_app.domain.forms.versioning.edit` (which refuses non-drafts).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from nurse_app.domain.forms import (
    AnswerOption,
    FormDefinition,
    Item,
    ItemType,
    LocalText,
    ScoreItem,
)
from nurse_app.domain.forms.versioning import edit

Path = tuple[int, ...]
Items = tuple[Item, ...]

#: Item types that may hold children in the designer (FHIR allows more; nurses only see groups nest).
CONTAINER_TYPES = frozenset({ItemType.GROUP})


def walk_paths(items: Items, prefix: Path = ()) -> Iterator[tuple[Path, Item]]:
    """Every item in document (pre-)order with its path."""
    for row, item in enumerate(items):
        path = (*prefix, row)
        yield path, item
        yield from walk_paths(item.items, path)


def item_at(items: Items, path: Path) -> Item:
    """The item at ``path`` (raises ``IndexError`` for a path that is not in the tree)."""
    if not path:
        raise IndexError("the empty path is the root, not an item")
    node = items[path[0]]
    for row in path[1:]:
        node = node.items[row]
    return node


def children_at(items: Items, parent: Path) -> Items:
    return items if not parent else item_at(items, parent).items


def _with_children(items: Items, parent: Path, children: Items) -> Items:
    if not parent:
        return children
    head, rest = parent[0], parent[1:]
    node = items[head]
    node = dataclasses.replace(node, items=_with_children(node.items, rest, children))
    return (*items[:head], node, *items[head + 1 :])


def replace_at(items: Items, path: Path, new: Item) -> Items:
    siblings = children_at(items, path[:-1])
    row = path[-1]
    return _with_children(items, path[:-1], (*siblings[:row], new, *siblings[row + 1 :]))


def remove_at(items: Items, path: Path) -> Items:
    siblings = children_at(items, path[:-1])
    row = path[-1]
    return _with_children(items, path[:-1], (*siblings[:row], *siblings[row + 1 :]))


def insert_at(items: Items, parent: Path, row: int, new: Item) -> tuple[Items, Path]:
    """``items`` with ``new`` inserted as child ``row`` of ``parent`` (clamped), and its path."""
    siblings = children_at(items, parent)
    row = max(0, min(row, len(siblings)))
    return _with_children(items, parent, (*siblings[:row], new, *siblings[row:])), (*parent, row)


def move(items: Items, source: Path, parent: Path, row: int) -> tuple[Items, Path] | None:
    """Move the item at ``source`` to child ``row`` of ``parent``; ``None`` for a move into itself.

    ``row`` counts in the tree *before* the move (what a drop indicator shows),
    so the removal of the source is compensated for here.
    """
    if parent[: len(source)] == source:
        return None  # a group cannot be dropped into itself or its own descendants
    node = item_at(items, source)
    depth = len(source) - 1
    if parent[:depth] == source[:depth] and len(parent) > depth and parent[depth] > source[depth]:
        parent = (*parent[:depth], parent[depth] - 1, *parent[depth + 1 :])
    elif parent == source[:-1] and row > source[-1]:
        row -= 1
    return insert_at(remove_at(items, source), parent, row, node)


def link_ids(defn: FormDefinition) -> set[str]:
    return {item.link_id for _path, item in walk_paths(defn.items)}


_PREFIX = {ItemType.GROUP: "group", ItemType.DISPLAY: "note"}


def unique_link_id(taken: set[str], base: str) -> str:
    """``base`` if it is free, else ``base_2``, ``base_3``… (a ``_N`` already on ``base`` is replaced)."""
    base = base or "q"
    if base not in taken:
        return base
    stem = re.sub(r"_\d+$", "", base)
    n = 2
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"


def new_item(item_type: ItemType, taken: set[str]) -> Item:
    """A fresh item of ``item_type`` with a free linkId and placeholder texts in both languages."""
    stem = _PREFIX.get(item_type, "q")
    n = 1
    while f"{stem}{n}" in taken:
        n += 1
    link_id = f"{stem}{n}"
    if item_type == ItemType.GROUP:
        text = LocalText("新分组", "New group")
    elif item_type == ItemType.DISPLAY:
        text = LocalText("说明文字", "Instructions")
    else:
        text = LocalText("新题目", "New question")
    options: tuple[AnswerOption, ...] = ()
    if item_type in (ItemType.CHOICE, ItemType.OPEN_CHOICE):
        # Two options to start from: an empty choice is an error the author would hit at once.
        options = (
            AnswerOption("1", LocalText("选项1", "Option 1"), 0),
            AnswerOption("2", LocalText("选项2", "Option 2"), 1),
        )
    return Item(link_id=link_id, type=item_type, text=text, answer_options=options)


def fresh_copy(item: Item, taken: set[str]) -> Item:
    """A copy of ``item`` and its children with new unique linkIds (``taken`` is updated)."""
    link_id = unique_link_id(taken, item.link_id)
    taken.add(link_id)
    children = tuple(fresh_copy(child, taken) for child in item.items)
    return dataclasses.replace(item, link_id=link_id, items=children)


def rename_references(defn: FormDefinition, old: str, new: str) -> FormDefinition:
    """The draft with enableWhen questions, score members and rule targets renamed ``old`` → ``new``."""

    def fix(item: Item) -> Item:
        conds = tuple(
            dataclasses.replace(c, question=new) if c.question == old else c for c in item.enable_when
        )
        return dataclasses.replace(item, enable_when=conds, items=tuple(fix(c) for c in item.items))

    scores = tuple(
        dataclasses.replace(
            s, items=tuple(ScoreItem(new, e.weight) if e.link_id == old else e for e in s.items)
        )
        for s in defn.scores
    )
    rules = tuple(dataclasses.replace(r, target=new) if r.target == old else r for r in defn.critical_rules)
    return edit(defn, items=tuple(fix(i) for i in defn.items), scores=scores, critical_rules=rules)


def with_items(defn: FormDefinition, items: Items) -> FormDefinition:
    return edit(defn, items=items)


def path_of(defn: FormDefinition, link_id: str) -> Path | None:
    """The path of the first item with ``link_id`` (the one the engine's checks also report)."""
    for path, item in walk_paths(defn.items):
        if item.link_id == link_id:
            return path
    return None


def earlier_questions(defn: FormDefinition, path: Path) -> list[Item]:
    """Question items before ``path`` in document order: the only valid enableWhen sources."""
    out = []
    for other, item in walk_paths(defn.items):
        if other == path:
            break
        if item.is_question:
            out.append(item)
    return out
