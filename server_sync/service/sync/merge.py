"""Field-by-field three-way merge of a record edited on a desk and on the server."""

from __future__ import annotations

from typing import Any

# Identity and bookkeeping: never merged from a client.
NOT_MERGED = frozenset({"id", "version"})


def three_way_merge(
    base: dict[str, Any], current: dict[str, Any], incoming: dict[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The merged record and the clashing field names.

    A field the client changed since ``base`` takes the client's value, unless
    the server changed it too (to something else): then the server value stays
    and the field is reported as a clash.
    """
    merged = dict(current)
    clashes = []
    for name, value in incoming.items():
        if name in NOT_MERGED or value == base.get(name):
            continue  # the client did not touch this field
        if current.get(name) == base.get(name) or current.get(name) == value:
            merged[name] = value
        else:
            clashes.append(name)
    return merged, tuple(sorted(clashes))


def without_bookkeeping(payload: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in payload.items() if name not in NOT_MERGED}
