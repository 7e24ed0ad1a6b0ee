"""What the worklist panel loads, as plain functions run off the GUI thread (no Qt here).

They only call ``nurse_app.store`` / ``CacheRepository`` functions: the UI holds
no SQL. Each function opens its own connection from the context's engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nurse_app.desk.context import DeskContext
from nurse_app.domain.model import Ward
from nurse_app.store.repository import CacheRepository
from nurse_app.store.worklist import WorklistRow, WorklistTab, worklist, worklist_counts

# The model keeps a whole tab in memory up to this size, so typing in the search box filters
# locally at keystroke speed; a larger tab falls back to the database search.
ROW_LIMIT = 10_000
# Filter choices come from the ward's current work: a plan or nurse with no task is no use as a filter.
_CHOICE_PROBE_LIMIT = 2_000


@dataclass(frozen=True, slots=True)
class WorklistQuery:
    tab: WorklistTab
    wards: tuple[str, ...] | None  # None: every ward in the cache (administrators)
    plan: str | None = None
    nurse: str | None = None
    search: str = ""


@dataclass(frozen=True, slots=True)
class WorklistPage:
    query: WorklistQuery
    rows: list[WorklistRow]
    counts: dict[WorklistTab, int]

    @property
    def complete(self) -> bool:
        """True when every row of the tab is loaded (local filtering then sees them all)."""
        return self.counts.get(self.query.tab, 0) <= len(self.rows)


@dataclass(frozen=True, slots=True)
class DeskSetup:
    """Loaded once after login: the wards shown, their calling hours and the filter choices."""

    wards: tuple[str, ...] | None
    ward: Ward | None
    plans: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    nurses: list[tuple[str, str]] = field(default_factory=list)  # (username, display name)
    plan_names: dict[str, str] = field(default_factory=dict)
    step_names: dict[tuple[str, int], str] = field(default_factory=dict)  # (plan code, step no) → name


def load_page(ctx: DeskContext, query: WorklistQuery, limit: int = ROW_LIMIT) -> WorklistPage:
    filters = {"wards": query.wards, "nurse": query.nurse, "plan": query.plan, "search": query.search or None}
    now = ctx.now()
    with ctx.engine.connect() as conn:
        rows = worklist(conn, tab=query.tab, now=now, zone=ctx.zone, limit=limit, **filters)
        counts = worklist_counts(conn, now=now, zone=ctx.zone, **filters)
    return WorklistPage(query, rows, counts)


def choose_wards(ctx: DeskContext, preferred_ward: str) -> tuple[str, ...] | None:
    """The IT-preset ward when the user belongs to it, else all of the user's wards (admins: all)."""
    user = ctx.user
    if preferred_ward and user.may_see_ward(preferred_ward):
        return (preferred_ward,)
    if user.wards:
        return tuple(user.wards)
    return None


def load_setup(ctx: DeskContext, preferred_ward: str = "") -> DeskSetup:
    wards = choose_wards(ctx, preferred_ward)
    now = ctx.now()
    plan_keys: set[tuple[str, int]] = set()
    assignees: set[str] = set()
    with ctx.engine.connect() as conn:
        for tab in WorklistTab:
            for row in worklist(
                conn, tab=tab, now=now, zone=ctx.zone, wards=wards, limit=_CHOICE_PROBE_LIMIT
            ):
                plan_keys.add((row.plan_code, row.plan_version))
                if row.assignee:
                    assignees.add(row.assignee)
    with ctx.unit_of_work() as (repo, _session):
        ward = repo.get_ward(wards[0]) if wards else None
        plan_names, step_names = _plan_names(repo, plan_keys)
        nurses = []
        for username in sorted(assignees | {ctx.user.username}):
            user = repo.get_user(username)
            nurses.append((username, user.display_name if user else username))
    plans = sorted(plan_names.items(), key=lambda item: item[0])
    return DeskSetup(wards, ward, plans, nurses, plan_names, step_names)


def _plan_names(
    repo: CacheRepository, keys: set[tuple[str, int]]
) -> tuple[dict[str, str], dict[tuple[str, int], str]]:
    names: dict[str, str] = {}
    steps: dict[tuple[str, int], str] = {}
    for code, version in sorted(keys):
        plan = repo.get_plan(code, version)
        names[code] = plan.name if plan else code
        for step in plan.steps if plan else ():
            steps[(code, step.step_no)] = step.name
    return names, steps
