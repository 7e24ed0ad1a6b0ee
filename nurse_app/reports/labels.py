"""Labels (Chinese first, English second) and the number formats shared by every renderer.

Numbers are formatted exactly as ``nurse-station stats`` prints them (rates
``12.3%``, durations in seconds with one decimal, ``-`` when undefined), so a
figure in the PDF, the CSV and the terminal reads the same.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from nurse_app.domain.metrics import Rate
from nurse_app.domain.model import CallOutcome

__all__ = [
    "LANGS",
    "Labels",
    "fmt_count",
    "fmt_local",
    "fmt_minutes",
    "fmt_rate",
    "fmt_seconds",
    "labels_for",
]

LANGS = ("zh_CN", "en")
NO_VALUE = "-"

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("随访质量月报", "Follow-up quality report"),
    "default_hospital": ("示范医院", "Demo Hospital"),
    "ward": ("病区", "Ward"),
    "wards": ("病区", "Wards"),
    "period": ("统计周期", "Period"),
    "previous_period": ("对比周期", "Compared with"),
    "generated": ("数据截至", "Data as of"),
    "no_data": ("本期无数据", "No data for this period"),
    "none": ("无", "None"),
    "headline": ("核心指标", "Headline figures"),
    "figure": ("指标", "Figure"),
    "current": ("本期", "This period"),
    "previous": ("上期", "Previous"),
    "target": ("目标", "Target"),
    "status": ("状态", "Status"),
    "good": ("达标", "On target"),
    "warn": ("预警", "Warning"),
    "bad": ("未达标", "Off target"),
    "miss": ("漏访率", "Miss rate"),
    "on_time": ("24小时及时率", "On-time rate (24 h)"),
    "reach": ("接通率", "Reach rate"),
    "duration_median": ("通话时长中位数（秒）", "Median call duration (s)"),
    "duration_mean": ("通话时长平均值（秒）", "Mean call duration (s)"),
    "satisfaction": ("满意率", "Satisfaction rate"),
    "completed": ("完成随访数", "Follow-ups completed"),
    "responses": ("填写量表数", "Scales filled"),
    "diseases": ("覆盖病种数（ICD-10 类目）", "Diseases covered (ICD-10 categories)"),
    "open_critical": ("未处理危急值", "Open critical alerts"),
    "trend": ("周趋势：漏访率", "Weekly trend: miss rate"),
    "week": ("周", "Week"),
    "nurse_chart": ("各护士完成与漏访", "Completed and missed per nurse"),
    "missed_count": ("漏访数", "Missed"),
    "by_nurse": ("护士明细", "By nurse"),
    "by_plan": ("随访方案明细", "By plan"),
    "nurse": ("护士", "Nurse"),
    "plan": ("随访方案", "Plan"),
    "unassigned": ("未分配", "Unassigned"),
    "by_diagnosis": ("病种明细", "By diagnosis group"),
    "diagnosis": ("病种（ICD-10 类目）", "Diagnosis group (ICD-10)"),
    "no_diagnosis": ("未填诊断", "No diagnosis"),
    "closed": ("到期任务", "Closed"),
    "calls": ("接通通话", "Calls"),
    "missed_list": ("漏访明细", "Missed follow-ups"),
    "patient": ("患者", "Patient"),
    "mrn": ("病案号", "MRN"),
    "phone": ("电话", "Phone"),
    "plan_step": ("方案/步骤", "Plan / step"),
    "due": ("应访时间", "Due"),
    "window_end": ("截止时间", "Window end"),
    "attempts": ("呼叫记录", "Attempts"),
    "assignee": ("责任护士", "Assigned"),
    "no_attempt": ("未呼叫", "no call"),
    "alerts": ("危急值及响应时间", "Critical alerts and acknowledgement"),
    "alerts_summary": (
        "危急值 {count} 条，已确认 {acked} 条，未处理 {open} 条；"
        "确认用时中位数 {median} 分钟，最长 {max} 分钟",
        "{count} critical alerts, {acked} acknowledged, {open} open; "
        "time to acknowledge median {median} min, max {max} min",
    ),
    "raised": ("触发时间", "Raised"),
    "rule": ("规则", "Rule"),
    "message": ("内容", "Message"),
    "ack_by": ("确认人", "Acknowledged by"),
    "ack_minutes": ("确认用时（分钟）", "Minutes to acknowledge"),
    "satisfaction_section": ("满意度调查结果", "Satisfaction survey"),
    "item": ("条目", "Item"),
    "answers": ("答复数", "Answers"),
    "level": ("{n}分", "{n}"),
    "comments": ("患者意见与建议", "Patients' comments"),
    "submitted": ("提交时间", "Submitted"),
    "comment": ("意见", "Comment"),
    "page": ("第 {n} 页 / 共 {m} 页", "Page {n} of {m}"),
    "legend": (
        "口径：漏访率 = 窗口期内未完成 ÷ 本期截止的任务（不含取消/暂停）；"
        "24小时及时率 = 出院24小时内首次呼叫的出院人次占比；接通率 = 接通任务 ÷ 有呼叫的任务；"
        "满意率 = 满意及以上答复占比；完成随访 = 本期完成的任务；填写量表 = 本期提交且未被更正的量表；"
        "覆盖病种 = 本期应访患者主诊断的 ICD-10 类目数；未处理危急值 = 本期触发、至今未确认的危急值。"
        "上期为紧邻本期之前、长度相同的周期。",
        "Definitions: miss rate = not completed within the window ÷ tasks whose window closed in the period "
        "(cancelled/paused excluded); on-time rate = discharges first called within 24 h; "
        "reach rate = reached ÷ tasks with an attempt; satisfaction = answers at 'satisfied' or above; "
        "completed = tasks completed in the period; scales filled = responses submitted and not corrected; "
        "diseases = ICD-10 categories of the primary diagnoses due in the period; "
        "open critical alerts = raised in the period, not acknowledged yet. The previous period is the "
        "one of the same length just before.",
    ),
    "alert_open": ("未处理", "open"),
    "alert_escalated": ("已上报", "escalated"),
    "alert_acknowledged": ("已确认", "acknowledged"),
    "alert_resolved": ("已解决", "resolved"),
}

_OUTCOMES: dict[str, tuple[str, str]] = {
    CallOutcome.REACHED: ("接通", "reached"),
    CallOutcome.NO_ANSWER: ("无人接听", "no answer"),
    CallOutcome.BUSY: ("忙线", "busy"),
    CallOutcome.WRONG_NUMBER: ("号码错误", "wrong number"),
    CallOutcome.CALL_BACK: ("约定回拨", "call back"),
    CallOutcome.REFUSED: ("拒访", "refused"),
    CallOutcome.DECEASED: ("已故", "deceased"),
    CallOutcome.READMITTED: ("再入院", "readmitted"),
}

# Short names of the bundled satisfaction survey's items (the questions themselves are long sentences).
_ITEMS: dict[str, tuple[str, str]] = {
    "overall": ("总体满意度", "Overall"),
    "nursing": ("护理服务", "Nursing care"),
    "doctor": ("医生诊疗", "Doctors"),
    "environment": ("病房环境", "Ward environment"),
    "discharge_guidance": ("出院指导", "Discharge advice"),
}


class Labels:
    """The report's words in one language: ``labels["miss"]``, ``labels.outcome(o)``, ``labels.item(id)``."""

    def __init__(self, lang: str = "zh_CN") -> None:
        if lang not in LANGS:
            raise ValueError(f"unknown report language '{lang}'; expected one of {', '.join(LANGS)}")
        self.lang = lang
        self._index = LANGS.index(lang)

    def __getitem__(self, key: str) -> str:
        return _TEXT[key][self._index]

    def outcome(self, outcome: str) -> str:
        pair = _OUTCOMES.get(outcome)
        return pair[self._index] if pair else str(outcome)

    def item(self, link_id: str) -> str:
        pair = _ITEMS.get(link_id)
        return pair[self._index] if pair else link_id

    def alert_status(self, status: str) -> str:
        key = f"alert_{status}"
        return self[key] if key in _TEXT else status


def labels_for(lang: str) -> Labels:
    return Labels(lang)


def fmt_rate(value: float | None) -> str:
    """``0.1234`` → ``'12.3%'``, as ``RateTable.to_text`` prints it."""
    return NO_VALUE if value is None else f"{value * 100:.1f}%"


def fmt_rate_with_counts(rate: Rate) -> str:
    """``Rate(4, 39)`` → ``'10.3% (4/39)'``; ``'-'`` for an empty population."""
    return NO_VALUE if rate.value is None else f"{fmt_rate(rate.value)} ({rate.numerator}/{rate.denominator})"


def fmt_seconds(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value:.1f}"


def fmt_minutes(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value:.1f}"


def fmt_count(value: float | None) -> str:
    return NO_VALUE if value is None else str(int(value))


def fmt_value(kind: str, value: float | None) -> str:
    """A headline value by kind (``rate`` / ``seconds`` / ``count``)."""
    if kind == "rate":
        return fmt_rate(value)
    if kind == "seconds":
        return fmt_seconds(value)
    return fmt_count(value)


def fmt_local(moment: datetime | None, zone: str, *, seconds: bool = False) -> str:
    """A UTC moment as the ward's wall-clock time, ``2026-10-05 17:03``."""
    if moment is None:
        return NO_VALUE
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
