"""The raw numbers behind one ward's headline figures, additive over disjoint stretches of time.

The dashboard gathers them from day totals for whole days and from the
records for the edges of a period (``headline_totals``), or from the records
alone (``headline_sql``); ``headline`` turns them into a ``Tally``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

__all__ = ["WardCounts", "new_counts"]


@dataclass(slots=True)
class WardCounts:
    closed: int = 0  # miss rate: tasks judged …
    missed: int = 0  # … and missed
    discharges: int = 0  # on-time rate
    on_time: int = 0
    attempted: int = 0  # reach rate
    reached: int = 0
    votes: int = 0  # satisfaction rate
    satisfied: int = 0
    filled: int = 0  # scales filled
    completed: int = 0
    open_critical: int = 0
    seconds: list[float] = field(default_factory=list)  # durations of reached calls
    diseases: set[str] = field(default_factory=set)  # 3-character ICD-10 groups

    def add(self, **numbers: int) -> None:
        """Add to the counters named by keyword, e.g. ``add(closed=3, missed=1)``."""
        for name, value in numbers.items():
            setattr(self, name, getattr(self, name) + int(value))


def new_counts() -> defaultdict[str, WardCounts]:
    """Counts by ward, created on first use."""
    return defaultdict(WardCounts)
