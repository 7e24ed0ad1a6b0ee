"""``nurse-station worklist``: today's follow-ups of a ward, as a table or stable JSON."""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from nurse_app.domain.model import DEFAULT_ZONE
from nurse_app.store.engine import open_cache_for
from nurse_app.store.worklist import WorklistRow, WorklistTab, worklist, worklist_counts

TAB_TITLES = {
    WorklistTab.DUE_NOW: "待随访",
    WorklistTab.OVERDUE: "已逾期",
    WorklistTab.UPCOMING: "即将到期",
    WorklistTab.DONE_TODAY: "今日完成",
}
SEX_LABELS = {"male": "男", "female": "女", "unknown": "未知"}


def run_worklist(args: argparse.Namespace, cache_path: Path) -> int:
    now = args.now or datetime.now(timezone.utc)
    tab = WorklistTab(args.tab)
    engine = open_cache_for(cache_path)
    filters = {"wards": args.ward, "nurse": args.nurse, "plan": args.plan, "search": args.search}
    with engine.connect() as conn:
        rows = worklist(conn, tab=tab, now=now, limit=args.limit, **filters)
        counts = worklist_counts(conn, now=now, **filters)
    engine.dispose()
    if args.json:
        print(json.dumps(worklist_document(rows, counts, tab, args.ward, now), ensure_ascii=False, indent=2))
    else:
        print(render_table(rows, counts, tab, args.ward, now))
    return 0


def masked_last4(last4: str) -> str:
    """The worklist only ever holds the last 4 digits; the full number is revealed in the patient panel."""
    return f"****{last4}" if last4 else ""


def _local(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(DEFAULT_ZONE)).strftime("%m-%d %H:%M")


def _age(birth: date, now: datetime) -> int:
    today = now.astimezone(ZoneInfo(DEFAULT_ZONE)).date()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def worklist_document(
    rows: list[WorklistRow], counts: dict[WorklistTab, int], tab: WorklistTab, wards: list[str], now: datetime
) -> dict:
    """The documented JSON shape of ``worklist --json`` (README, "Worklist JSON")."""
    return {
        "format": "followup.worklist/1",
        "generated_at": _iso(now),
        "wards": list(wards),
        "tab": tab.value,
        "counts": {t.value: counts.get(t, 0) for t in WorklistTab},
        "tasks": [
            {
                "task_id": row.task_id,
                "patient_id": row.patient_id,
                "patient_name": row.patient_name,
                "mrn": row.mrn,
                "phone_masked": masked_last4(row.phone_last4),
                "sex": row.sex,
                "age": _age(row.birth_date, now),
                "ward": row.ward_code,
                "plan": row.plan_code,
                "plan_version": row.plan_version,
                "step": row.step_no,
                "status": row.status,
                "due_at": _iso(row.due_at),
                "window_end": _iso(row.window_end),
                "next_attempt_at": _iso(row.next_attempt_at),
                "attempts": row.attempts,
                "assignee": row.assignee,
                "open_alerts": row.open_alerts,
                "overdue": row.overdue,
            }
            for row in rows
        ],
    }


def render_table(
    rows: list[WorklistRow], counts: dict[WorklistTab, int], tab: WorklistTab, wards: list[str], now: datetime
) -> str:
    header = " | ".join(f"{TAB_TITLES[t]} {counts.get(t, 0)}" for t in WorklistTab)
    lines = [f"病区 {', '.join(wards)}  {_local(now)}  —  {header}", f"[{TAB_TITLES[tab]}]"]
    if not rows:
        lines.append("（无任务）")
    for row in rows:
        flags = ("⚠危急值 " if row.open_alerts else "") + ("逾期 " if row.overdue else "")
        lines.append(
            f"{flags}{_local(row.due_at)}  {row.patient_name}  {SEX_LABELS.get(row.sex, row.sex)} "
            f"{_age(row.birth_date, now)}岁  {row.mrn}  {masked_last4(row.phone_last4)}  "
            f"{row.plan_code} 第{row.step_no}步  已拨{row.attempts}次  {row.assignee or ''}"
            + (f"  下次 {_local(row.next_attempt_at)}" if row.next_attempt_at else "")
        )
    return "\n".join(lines)
