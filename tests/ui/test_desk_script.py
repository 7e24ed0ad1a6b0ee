"""Call scripts are rendered from the patient's fields by a pure function."""

from __future__ import annotations

from datetime import date

from nurse_app.desk.script_render import ScriptFields, builtin_template, render_script, render_step_script
from nurse_app.domain.model import Sex

FIELDS = ScriptFields(
    "张伟", Sex.MALE, "心力衰竭", date(2026, 11, 27), "心血管疾病出院随访", "出院24小时随访"
)


def test_chinese_first_contact_script_has_every_field():
    text = render_step_script(1, FIELDS, "zh_CN")
    assert "张伟先生" in text and "心力衰竭" in text and "2026年11月27日" in text
    assert "心血管疾病出院随访" in text and "出院24小时随访" in text and "{" not in text


def test_english_and_later_steps_use_their_own_templates():
    woman = ScriptFields("李娜", Sex.FEMALE, "", None, "Plan", "Day 7")
    text = render_step_script(2, woman, "en")
    assert "Ms. 李娜" in text and "Day 7" in text and "—" in text
    assert builtin_template(1, "en") != builtin_template(2, "en")


def test_unknown_placeholders_stay_visible():
    assert render_script("{name} {ward_phone}", FIELDS, "zh_CN") == "张伟 {ward_phone}"
