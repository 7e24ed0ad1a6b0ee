"""Call scripts rendered with the patient's fields: a pure function, no Qt, no database.

Until versioned CallScripts arrive from the central service, each plan step
uses a built-in template (first contact, later contacts) in Chinese or English.
Placeholders: ``{name} {title} {diagnosis} {discharge_date} {plan} {step}``;
an unknown placeholder is left visible rather than failing the whole script.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from nurse_app.domain.model import Sex

FIRST_CONTACT_ZH = (
    "您好，请问是{name}{title}吗？我是医院{plan}的随访护士。"
    "您于{discharge_date}出院，诊断为{diagnosis}。今天是「{step}」，想花几分钟了解一下您回家后的恢复情况，"
    "请问现在方便吗？\n\n"
    "1. 回家后身体感觉怎么样？有没有不舒服？\n"
    "2. 出院带的药是否按时服用？\n"
    "3. 对我们住院期间的服务满意吗？\n\n"
    "感谢您的配合，如有不适请及时就诊或拨打病区电话。祝您早日康复！"
)
LATER_CONTACT_ZH = (
    "您好，请问是{name}{title}吗？我是医院{plan}的随访护士，今天做「{step}」。"
    "您{discharge_date}出院（{diagnosis}），想了解一下您最近的情况，请问现在方便吗？\n\n"
    "1. 最近症状有没有加重或新出现的不适？\n"
    "2. 药物是否按医嘱服用？有没有按时复诊？\n"
    "3. 饮食、活动和休息情况怎么样？\n\n"
    "谢谢您，请继续按医嘱治疗，有问题随时联系我们。"
)
FIRST_CONTACT_EN = (
    "Hello, am I speaking with {title} {name}? I am the follow-up nurse of {plan}. "
    'You were discharged on {discharge_date} with {diagnosis}. This is the "{step}" call: '
    "may I take a few minutes to ask how your recovery is going?\n\n"
    "1. How have you felt since you went home? Any discomfort?\n"
    "2. Are you taking the medicines from discharge as prescribed?\n"
    "3. Were you satisfied with our care during your stay?\n\n"
    "Thank you. If you feel unwell, please see a doctor or call the ward. Get well soon!"
)
LATER_CONTACT_EN = (
    "Hello, am I speaking with {title} {name}? I am the follow-up nurse of {plan}, calling for "
    '"{step}". You were discharged on {discharge_date} ({diagnosis}); may I ask how you are doing?\n\n'
    "1. Have your symptoms worsened, or is anything new bothering you?\n"
    "2. Are you taking your medicines and keeping your follow-up appointments?\n"
    "3. How are your diet, activity and sleep?\n\n"
    "Thank you. Please keep to your treatment and call us with any question."
)

_TEMPLATES = {
    "zh_CN": (FIRST_CONTACT_ZH, LATER_CONTACT_ZH),
    "en": (FIRST_CONTACT_EN, LATER_CONTACT_EN),
}
_TITLES = {
    "zh_CN": {Sex.MALE: "先生", Sex.FEMALE: "女士", Sex.UNKNOWN: ""},
    "en": {Sex.MALE: "Mr.", Sex.FEMALE: "Ms.", Sex.UNKNOWN: ""},
}


@dataclass(frozen=True, slots=True)
class ScriptFields:
    """What a script may say about the patient; built from the patient folder."""

    name: str
    sex: Sex
    diagnosis: str
    discharge_date: date | None
    plan: str
    step: str


class _KeepUnknown(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def builtin_template(step_no: int, lang: str) -> str:
    """The built-in script of a plan step: step 1 is the first contact, later steps check progress."""
    first, later = _TEMPLATES.get(lang, _TEMPLATES["zh_CN"])
    return first if step_no <= 1 else later


def _format_date(day: date | None, lang: str) -> str:
    if day is None:
        return "—"
    if lang == "en":
        return day.isoformat()
    return f"{day.year}年{day.month}月{day.day}日"


def render_script(template: str, fields: ScriptFields, lang: str) -> str:
    """``template`` with the patient's fields filled in (unknown placeholders stay as written)."""
    titles = _TITLES.get(lang, _TITLES["zh_CN"])
    values = _KeepUnknown(
        name=fields.name,
        title=titles.get(fields.sex, ""),
        diagnosis=fields.diagnosis or "—",
        discharge_date=_format_date(fields.discharge_date, lang),
        plan=fields.plan,
        step=fields.step,
    )
    return template.format_map(values)


def render_step_script(step_no: int, fields: ScriptFields, lang: str) -> str:
    return render_script(builtin_template(step_no, lang), fields, lang)
