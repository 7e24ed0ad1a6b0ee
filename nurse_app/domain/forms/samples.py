"""Two reference scales in our JSON format: PHQ-9 and a post-discharge follow-up with vitals.

Used by tests, the benchmark and as worked examples of the format; the bundled
production scales live under ``resources/``.
"""

from __future__ import annotations

from typing import Any

from nurse_app.domain.forms.definition import FormDefinition
from nurse_app.domain.forms.parse import from_dict

_PHQ_QUESTIONS = (
    ("做事时提不起劲或没有兴趣", "Little interest or pleasure in doing things"),
    ("感到心情低落、沮丧或绝望", "Feeling down, depressed, or hopeless"),
    ("入睡困难、睡不安稳或睡眠过多", "Trouble falling or staying asleep, or sleeping too much"),
    ("感觉疲倦或没有活力", "Feeling tired or having little energy"),
    ("食欲不振或吃太多", "Poor appetite or overeating"),
    ("觉得自己很糟或很失败", "Feeling bad about yourself, or that you are a failure"),
    ("对事物专注有困难", "Trouble concentrating on things"),
    ("动作或说话速度缓慢或烦躁不安", "Moving or speaking slowly, or being fidgety or restless"),
    (
        "有不如死掉或用某种方式伤害自己的念头",
        "Thoughts that you would be better off dead or of hurting yourself",
    ),
)
_PHQ_OPTIONS = (
    ("0", "完全不会", "Not at all"),
    ("1", "好几天", "Several days"),
    ("2", "一半以上的天数", "More than half the days"),
    ("3", "几乎每天", "Nearly every day"),
)
PHQ9_BANDS = (
    (0, 4, "无/极轻微", "None-minimal"),
    (5, 9, "轻度", "Mild"),
    (10, 14, "中度", "Moderate"),
    (15, 19, "中重度", "Moderately severe"),
    (20, 27, "重度", "Severe"),
)


def _t(zh: str, en: str) -> dict[str, str]:
    return {"zh_CN": zh, "en": en}


def phq9_dict(status: str = "published") -> dict[str, Any]:
    """PHQ-9 in our JSON format: nine 0–3 items, a total with the five standard bands, an item-9 rule."""
    options = [{"code": c, "display": _t(zh, en), "ordinalValue": int(c)} for c, zh, en in _PHQ_OPTIONS]
    items = [
        {"linkId": f"q{n}", "type": "choice", "required": True, "text": _t(zh, en), "answerOption": options}
        for n, (zh, en) in enumerate(_PHQ_QUESTIONS, start=1)
    ]
    return {
        "resourceType": "Questionnaire",
        "code": "PHQ-9",
        "version": 1,
        "status": status,
        "title": _t("患者健康问卷-9", "Patient Health Questionnaire-9"),
        "item": [
            {"linkId": "phq", "type": "group", "text": _t("过去两周", "Over the last 2 weeks"), "item": items}
        ],
        "score": [
            {
                "name": "total",
                "title": _t("PHQ-9 总分", "PHQ-9 total"),
                "item": [{"linkId": f"q{n}", "weight": 1} for n in range(1, 10)],
                "band": [{"min": lo, "max": hi, "label": _t(zh, en)} for lo, hi, zh, en in PHQ9_BANDS],
            }
        ],
        "criticalRule": [
            {
                "code": "phq9_q9_positive",
                "target": "q9",
                "operator": ">",
                "threshold": 0,
                "severity": "critical",
                "message": _t(
                    "PHQ-9 第9题阳性：有自伤念头，请立即评估", "PHQ-9 item 9 positive: assess self-harm now"
                ),
            },
            {
                "code": "phq9_total_severe",
                "target": "total",
                "operator": ">=",
                "threshold": 20,
                "severity": "warning",
                "message": _t("PHQ-9 总分{value}，重度抑郁", "PHQ-9 total {value}: severe depression"),
            },
        ],
    }


def phq9(status: str = "published") -> FormDefinition:
    """PHQ-9 as a :class:`FormDefinition`."""
    return from_dict(phq9_dict(status))


def _satisfaction_options() -> list[dict[str, Any]]:
    labels = (
        ("很不满意", "Very dissatisfied"),
        ("不满意", "Dissatisfied"),
        ("一般", "Neutral"),
        ("满意", "Satisfied"),
        ("很满意", "Very satisfied"),
    )
    return [
        {"code": f"s{n}", "display": _t(zh, en), "ordinalValue": n} for n, (zh, en) in enumerate(labels, 1)
    ]


def discharge_followup_dict(status: str = "published") -> dict[str, Any]:
    """A post-discharge follow-up: vitals, wound, pain NRS, medication, satisfaction; five critical rules."""
    wound_options = [
        {"code": "healed", "display": _t("愈合良好", "Healed"), "ordinalValue": 0},
        {"code": "red_swollen", "display": _t("红肿", "Red and swollen"), "ordinalValue": 1},
        {
            "code": "red_swollen_discharging",
            "display": _t("红肿伴渗液", "Red, swollen, discharging"),
            "ordinalValue": 2,
        },
    ]
    yes_no = {"type": "boolean", "required": True}
    return {
        "resourceType": "Questionnaire",
        "code": "DISCHARGE-FU",
        "version": 1,
        "status": status,
        "title": _t("出院随访", "Post-discharge follow-up"),
        "item": [
            {
                "linkId": "vitals",
                "type": "group",
                "text": _t("生命体征", "Vital signs"),
                "item": [
                    {"linkId": "sbp", "type": "quantity", "unit": "mmHg", "minValue": 40, "maxValue": 300,
                     "text": _t("收缩压", "Systolic BP")},
                    {"linkId": "temp", "type": "decimal", "minValue": 34, "maxValue": 43,
                     "text": _t("体温（℃）", "Temperature (°C)")},
                ],
            },
            {"linkId": "has_wound", "text": _t("是否有手术切口", "Has a surgical wound"), **yes_no},
            {"linkId": "wound", "type": "choice", "required": True, "text": _t("切口情况", "Wound status"),
             "answerOption": wound_options,
             "enableWhen": [{"question": "has_wound", "operator": "=", "answerBoolean": True}]},
            {"linkId": "pain", "type": "integer", "required": True, "minValue": 0, "maxValue": 10,
             "text": _t("疼痛评分（0–10）", "Pain NRS (0–10)")},
            {"linkId": "pain_site", "type": "string", "maxLength": 50, "text": _t("疼痛部位", "Pain site"),
             "enableWhen": [{"question": "pain", "operator": ">=", "answerInteger": 4}]},
            {"linkId": "meds", "text": _t("是否按时服药", "Takes medication as prescribed"), **yes_no},
            {"linkId": "meds_reason", "type": "text", "required": True, "text": _t("未服药原因", "Reason"),
             "enableWhen": [{"question": "meds", "operator": "=", "answerBoolean": False}]},
            {"linkId": "phone", "type": "string", "regex": r"1\d{10}", "text": _t("联系电话", "Phone")},
            {"linkId": "satisfaction", "type": "choice", "satisfaction": True,
             "text": _t("您对住院服务满意吗", "How satisfied are you with your stay"),
             "answerOption": _satisfaction_options()},
        ],
        "criticalRule": [
            {"code": "sbp_high", "target": "sbp", "operator": ">=", "threshold": 180, "severity": "critical",
             "message": _t("收缩压{value} mmHg ≥ {threshold}", "Systolic BP {value} mmHg ≥ {threshold}")},
            {"code": "sbp_low", "target": "sbp", "operator": "<=", "threshold": 90, "severity": "critical",
             "message": _t("收缩压{value} mmHg ≤ {threshold}", "Systolic BP {value} mmHg ≤ {threshold}")},
            {"code": "fever", "target": "temp", "operator": ">=", "threshold": 39.0, "severity": "critical",
             "message": _t("体温{value}℃", "Temperature {value} °C")},
            {"code": "pain_severe", "target": "pain", "operator": ">=", "threshold": 7, "severity": "warning",
             "message": _t("疼痛评分{value}", "Pain NRS {value}")},
            {"code": "wound_infected", "target": "wound", "operator": "in",
             "threshold": ["red_swollen_discharging"], "severity": "critical",
             "message": _t("切口红肿伴渗液", "Wound red, swollen and discharging")},
        ],
    }  # fmt: skip


def discharge_followup(status: str = "published") -> FormDefinition:
    """The post-discharge follow-up scale as a :class:`FormDefinition`."""
    return from_dict(discharge_followup_dict(status))
