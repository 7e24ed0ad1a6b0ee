"""Message texts (zh_CN and en) for every problem code of the form engine.

Codes are stable identifiers; the texts may be reworded freely. A template
uses ``str.format`` placeholders; a missing placeholder renders as ``?`` rather
than failing, because a message must never crash validation mid-call.
"""

from __future__ import annotations

from typing import Any

from nurse_app.domain.forms.definition import normalize_lang

# code -> (zh_CN, en)
MESSAGES: dict[str, tuple[str, str]] = {
    # --- answers -----------------------------------------------------------------------------
    "required": ("“{item}”为必填项", "'{item}' is required"),
    "type": ("“{item}”应为{expected}", "'{item}' must be {expected}"),
    "not_repeating": ("“{item}”只能有一个答案", "'{item}' takes a single answer"),
    "below_min": ("“{item}”不能小于{min}", "'{item}' must be at least {min}"),
    "above_max": ("“{item}”不能大于{max}", "'{item}' must be at most {max}"),
    "too_short": ("“{item}”至少需要{min}个字符", "'{item}' needs at least {min} characters"),
    "too_long": ("“{item}”最多允许{max}个字符", "'{item}' allows at most {max} characters"),
    "pattern": ("“{item}”格式不正确", "'{item}' is not in the expected format"),
    "unknown_option": ("“{item}”没有选项“{value}”", "'{item}' has no option '{value}'"),
    "wrong_unit": ("“{item}”的单位应为{unit}", "'{item}' must be given in {unit}"),
    "unknown_item": ("本量表没有题目“{item}”", "this scale has no item '{item}'"),
    "not_answerable": (
        "“{item}”是分组或说明，不能作答",
        "'{item}' is a group or display item and takes no answer",
    ),
    # --- the scale definition ----------------------------------------------------------------
    "empty_code": ("量表缺少代码", "the scale has no code"),
    "bad_version": (
        "版本号必须是正整数，而不是{value}",
        "the version must be a positive integer, not {value}",
    ),
    "empty_link_id": ("存在没有 linkId 的题目", "an item has no linkId"),
    "duplicate_link_id": ("linkId“{item}”重复", "duplicate linkId '{item}'"),
    "unknown_type": ("题目“{item}”的类型“{type}”未知", "item '{item}' has unknown type '{type}'"),
    "choice_no_options": ("选择题“{item}”没有选项", "choice item '{item}' has no answer options"),
    "duplicate_option": (
        "题目“{item}”的选项代码“{value}”重复",
        "item '{item}' repeats option code '{value}'",
    ),
    "options_not_allowed": ("题目“{item}”的类型不能带选项", "item '{item}' cannot have answer options"),
    "group_empty": ("分组“{item}”没有子题目", "group '{item}' has no child items"),
    "children_not_allowed": ("说明“{item}”不能包含子题目", "display item '{item}' cannot have child items"),
    "enable_when_self": ("题目“{item}”的显示条件引用了自身", "enableWhen of '{item}' refers to itself"),
    "enable_when_missing": (
        "题目“{item}”的显示条件引用了不存在的题目“{target}”",
        "enableWhen of '{item}' refers to missing item '{target}'",
    ),
    "enable_when_forward": (
        "题目“{item}”的显示条件引用了排在其后的题目“{target}”",
        "enableWhen of '{item}' refers forward to '{target}'",
    ),
    "enable_when_cycle": ("显示条件形成循环：{cycle}", "enableWhen forms a cycle: {cycle}"),
    "enable_when_not_question": (
        "题目“{item}”的显示条件引用的“{target}”不是可作答的题目",
        "enableWhen of '{item}' refers to '{target}', which takes no answer",
    ),
    "enable_when_operator": (
        "题目“{item}”的显示条件不能对“{target}”使用运算符“{op}”",
        "enableWhen of '{item}' cannot use operator '{op}' on '{target}'",
    ),
    "enable_when_answer": (
        "题目“{item}”的显示条件中的比较值“{value}”不适用于“{target}”",
        "enableWhen of '{item}' compares '{target}' with an unsuitable value '{value}'",
    ),
    "min_gt_max": (
        "题目“{item}”的最小值{min}大于最大值{max}",
        "item '{item}' has minValue {min} > maxValue {max}",
    ),
    "bad_bound": ("题目“{item}”的取值范围“{value}”无效", "item '{item}' has an invalid bound '{value}'"),
    "min_length_gt_max_length": (
        "题目“{item}”的最小长度{min}大于最大长度{max}",
        "item '{item}' has minLength {min} > maxLength {max}",
    ),
    "bad_length": (
        "题目“{item}”的长度限制“{value}”无效",
        "item '{item}' has an invalid length limit '{value}'",
    ),
    "bad_regex": ("题目“{item}”的正则表达式无效：{error}", "item '{item}' has an invalid regex: {error}"),
    "constraint_not_applicable": (
        "题目“{item}”的类型不支持“{constraint}”",
        "item '{item}' cannot have '{constraint}' for its type",
    ),
    "bad_initial": (
        "题目“{item}”的初始值无效：{detail}",
        "item '{item}' has an invalid initial value: {detail}",
    ),
    "satisfaction_item": (
        "满意度题目“{item}”必须是五个选项、序值为1至5的单选题",
        "satisfaction item '{item}' must be a choice with five options of ordinal 1..5",
    ),
    "duplicate_score": ("评分名称“{score}”重复", "duplicate score name '{score}'"),
    "score_empty": ("评分“{score}”没有计分题目", "score '{score}' counts no items"),
    "score_missing_item": (
        "评分“{score}”引用了不存在的题目“{item}”",
        "score '{score}' refers to missing item '{item}'",
    ),
    "score_item_not_scorable": (
        "评分“{score}”中的题目“{item}”不能计分",
        "score '{score}' counts item '{item}', which cannot be scored",
    ),
    "score_option_no_ordinal": (
        "评分“{score}”中题目“{item}”的选项“{value}”没有序值",
        "score '{score}': option '{value}' of item '{item}' has no ordinalValue",
    ),
    "band_min_gt_max": (
        "评分“{score}”的区间{min}–{max}无效",
        "score '{score}' has a band {min}–{max} with min > max",
    ),
    "band_overlap": ("评分“{score}”的区间{a}与{b}重叠", "score '{score}' has overlapping bands {a} and {b}"),
    "duplicate_rule": ("危急值规则代码“{rule}”重复", "duplicate critical rule code '{rule}'"),
    "rule_missing_target": (
        "危急值规则“{rule}”的目标“{target}”不存在",
        "critical rule '{rule}' targets missing item or score '{target}'",
    ),
    "rule_ambiguous_target": (
        "危急值规则“{rule}”的目标“{target}”既是题目又是评分",
        "critical rule '{rule}' target '{target}' is both an item and a score",
    ),
    "rule_threshold": (
        "危急值规则“{rule}”的阈值“{value}”不适用于运算符“{op}”和目标“{target}”",
        "critical rule '{rule}' has threshold '{value}' unsuitable for '{op}' on '{target}'",
    ),
    "rule_unknown_option": (
        "危急值规则“{rule}”引用了“{target}”不存在的选项“{value}”",
        "critical rule '{rule}' refers to option '{value}' that '{target}' does not have",
    ),
    "rule_option_no_ordinal": (
        "危急值规则“{rule}”按序值比较，但“{item}”的选项“{value}”没有序值",
        "critical rule '{rule}' compares ordinals, but option '{value}' of '{item}' has none",
    ),
    "rule_target_not_question": (
        "危急值规则“{rule}”的目标“{target}”不是可作答的题目",
        "critical rule '{rule}' targets '{target}', which takes no answer",
    ),
    "bad_value": ("“{item}”的{field}“{value}”无效", "'{item}' has an invalid {field} '{value}'"),
    "override_threshold": (
        "科室设置中危急值规则“{rule}”的阈值“{value}”无效",
        "ward override for rule '{rule}' has an unsuitable threshold '{value}'",
    ),
    "override_unknown_rule": (
        "科室设置引用了不存在的危急值规则“{rule}”",
        "ward override for unknown rule '{rule}'",
    ),
}

# Human names of the expected answer shape, per item type, for the "type" message.
EXPECTED: dict[str, tuple[str, str]] = {
    "boolean": ("是/否", "yes or no"),
    "integer": ("整数", "a whole number"),
    "decimal": ("数字", "a number"),
    "quantity": ("带单位的数值", "a quantity with a value and a unit"),
    "string": ("文本", "text"),
    "text": ("文本", "text"),
    "date": ("日期（YYYY-MM-DD）", "a date (YYYY-MM-DD)"),
    "dateTime": ("日期时间（YYYY-MM-DDTHH:MM）", "a date and time (YYYY-MM-DDTHH:MM)"),
    "choice": ("选项之一", "one of the options"),
    "open-choice": ("选项或文本", "an option or text"),
}


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def fmt(value: object) -> str:
    """Render a number without a useless ``.0`` (``180.0`` → ``180``), anything else with ``str``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple, frozenset, set)):
        return ", ".join(fmt(v) for v in value)
    return str(value)


def message(code: str, lang: str = "zh_CN", **params: object) -> str:
    """The text of problem ``code`` in ``lang`` with ``params`` filled in."""
    pair = MESSAGES.get(code)
    if pair is None:
        return code
    template = pair[1] if normalize_lang(lang) == "en" else pair[0]
    return template.format_map(_Lenient({k: fmt(v) for k, v in params.items()}))


def expected_name(item_type: str, lang: str = "zh_CN") -> str:
    """How the answer of ``item_type`` should look, for the "type" message."""
    pair = EXPECTED.get(item_type, (item_type, item_type))
    return pair[1] if normalize_lang(lang) == "en" else pair[0]
