"""The zh-CN pipeline end to end with recogniser TEXT in place of audio: grammar words, field values,
the whole-form walker and its commands, and the usage record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nurse_app.domain.forms.bundled import bundled_scale
from nurse_app.domain.forms.definition import Item, ItemType, LocalText
from nurse_app.voice import (
    FormWalker,
    UsageEntry,
    UsageLog,
    Word,
    WordListVocabulary,
    field_grammar,
    fill_field,
    missing_words,
)
from nurse_app.voice.grammar import split_into_words

FORM = bundled_scale("general_followup")
_WORDS_TEXT = (
    "是 的 对 有 没有 得 不是 没 无 否 不 会 能 好 嗯 确认 胸痛 胸闷 或 发热 咳嗽 咳痰 "
    "头晕 头痛 心慌 心悸 恶心 呕吐 出血 其他 明显 不适 气促 呼吸 困难 腹痛 腹胀 "
    "按时 按量 服药 偶尔 漏 服 已 自行 停药 出院 带药 下 一项 上 撤销 完成 "
    "一 二 两 三 四 五 六 七 八 九 十 百 千 万 点 负 幺 零 度 [unk]"
)
ZH_WORDS = _WORDS_TEXT.split()
VOCAB = WordListVocabulary("zh_CN", ZH_WORDS)


def item(link_id: str) -> Item:
    found = FORM.find(link_id)
    assert found is not None
    return found


def test_phrases_are_split_into_the_models_words_and_gaps_reported() -> None:
    assert split_into_words("胸痛或胸闷", VOCAB) == (["胸痛", "或", "胸闷"], [])
    assert split_into_words("无明显不适", VOCAB) == (["无", "明显", "不适"], [])
    words, missing = split_into_words("已自行停药", VOCAB)
    assert words == ["已", "自行", "停药"] and not missing
    grammar = field_grammar(item("symptoms"), VOCAB)
    assert grammar is not None and grammar.use_unk
    entries = json.loads(grammar.to_json())
    assert "胸痛 或 胸闷" in entries and "胸痛" in entries and "[unk]" in entries
    assert "\\u" not in grammar.to_json()
    assert {"恶心 呕吐", "恶心", "呕吐"} <= set(entries)  # "恶心、呕吐": whole, and each alternative


def test_missing_words_names_what_the_model_cannot_hear() -> None:
    missing = missing_words(FORM, VOCAB)
    assert "has_wound" not in missing and "symptoms" not in missing
    assert "愈" in missing["wound"]  # 愈合良好 is not in this small vocabulary
    assert "diet" in missing


def test_words_txt_reader(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("<eps> 0\n是 1\n没有 2\n[unk] 3\n", encoding="utf-8")
    vocab = WordListVocabulary.from_words_txt("zh", words)
    assert vocab.has_word("没有") and vocab.has_unk and not vocab.has_word("有")


@pytest.mark.parametrize(
    ("link_id", "text", "value"),
    [
        ("has_wound", "有", True),
        ("has_wound", "没有", False),  # 没有 contains 有: the longer phrase wins
        ("has_wound", "是 的", True),
        ("has_wound", "不是", False),
        ("symptoms", "胸痛 发热", ["chest", "fever"]),
        ("symptoms", "无 明显 不适", ["none"]),
        ("symptoms", "头晕", ["dizziness"]),
        ("medication_adherence", "偶尔 漏 服", "occasional_miss"),
        ("medication_adherence", "已 自行 停药", "stopped"),
        ("temperature", "三十七 点 五", 37.5),
        ("temperature", "三十七度五", 37.5),
        ("heart_rate", "七十二", 72),
        ("pain_nrs", "三", 3),
        ("systolic_bp", "一百 四十", 140),
        ("nurse_note", "病人 恢复 良好", "病人恢复良好"),
    ],
)
def test_text_fills_each_item_type(link_id: str, text: str, value: object) -> None:
    fill = fill_field(item(link_id), text, "zh_CN")
    assert fill.ok, fill.reason
    assert fill.value == value


@pytest.mark.parametrize(
    ("link_id", "text", "reason"),
    [
        ("temperature", "五十", "outside"),
        ("pain_nrs", "二点五", "whole number"),
        ("heart_rate", "两点半", "time"),
        ("medication_adherence", "偶尔漏服 已自行停药", "more than one"),
        ("has_wound", "", "nothing"),
        ("next_visit", "明天", "not dictated"),
        ("diet", "天气很好", "no option"),
    ],
)
def test_what_cannot_fill_says_why(link_id: str, text: str, reason: str) -> None:
    fill = fill_field(item(link_id), text, "zh_CN")
    assert not fill.ok and reason in fill.reason


def test_unk_fills_nothing_and_says_so() -> None:
    fill = fill_field(item("has_wound"), "", "zh_CN", unknown=True)
    assert not fill.ok and fill.value is None and "[unk]" in fill.reason


def test_low_confidence_words_are_flagged() -> None:
    words = (Word("没有", 0.42, 0.0, 0.3),)
    fill = fill_field(item("has_wound"), "没有", "zh_CN", words=words)
    assert fill.value is False and not fill.ok and fill.low_confidence_words == ("没有",)
    assert "confirm" in fill.reason
    note = fill_field(item("nurse_note"), "伤口 红肿", "zh_CN", words=(Word("红肿", 0.3, 0, 1),))
    assert note.ok and note.low_confidence_words == ("红肿",)  # free text: flagged, still filled


def test_quantity_and_english_fields() -> None:
    weight = Item(
        "weight", ItemType.QUANTITY, LocalText("体重", "Weight"), unit="kg", min_value=2, max_value=300
    )
    assert fill_field(weight, "一百二十斤", "zh_CN").value == {"value": 60, "unit": "kg"}
    assert "unit" in fill_field(weight, "三十七度", "zh_CN").reason
    assert fill_field(item("has_wound"), "yes", "en").value is True
    assert fill_field(item("diet"), "poor appetite", "en").value == "poor_appetite"
    assert fill_field(item("temperature"), "thirty seven point five", "en").value == 37.5


def test_walker_dictates_a_whole_form_with_commands() -> None:
    walker = FormWalker(FORM, lang="zh_CN")
    assert walker.current_id == "symptoms"
    step = walker.handle_text("胸痛 其他")
    assert step.action == "filled" and walker.answers["symptoms"] == ["chest", "other"]
    assert walker.current_id == "symptoms_other"  # enableWhen opened the follow-up question
    walker.handle_text("夜间 偶有 胸闷")
    assert walker.current_id == "systolic_bp"
    step = walker.handle_text("一百四十 九十")  # a pair fills systolic and diastolic
    assert step.filled == ("systolic_bp", "diastolic_bp")
    assert walker.answers["diastolic_bp"] == 90 and walker.current_id == "temperature"
    assert walker.handle_text("撤销").action == "undone"
    assert "systolic_bp" not in walker.answers and walker.current_id == "systolic_bp"
    assert walker.handle_text("下一项").current == "diastolic_bp"
    assert walker.handle_text("上一项").current == "systolic_bp"
    rejected = walker.handle_text("五百")
    assert rejected.action == "rejected" and walker.current_id == "systolic_bp"
    assert walker.handle_text("完成").action == "done" and walker.done


def test_walker_in_english_skips_disabled_items() -> None:
    walker = FormWalker(FORM, lang="en", start_at="has_wound")
    walker.handle_text("no")
    assert walker.current_id == "diet"  # the wound question stays hidden
    walker.handle_text("go back")
    assert walker.current_id == "has_wound"
    walker.handle_text("yes")
    assert walker.current_id == "wound"


def test_usage_record_and_export(tmp_path: Path) -> None:
    log = UsageLog()
    log.add(
        UsageEntry(
            "2024-01-01T00:00:00Z", "has_wound", "boolean", "zh_CN", "grammar", 1.5, 0.8, 12.0, True, "", 0
        )
    )
    log.add(
        UsageEntry(
            "2024-01-01T00:00:05Z",
            "has_wound",
            "boolean",
            "zh_CN",
            "grammar",
            2.5,
            1.0,
            10.0,
            False,
            "low confidence",
            1,
        )
    )
    text = log.export_csv(tmp_path / "usage.csv")
    assert text.splitlines()[0].startswith("at,link_id,item_type")
    assert (tmp_path / "usage.csv").read_text(encoding="utf-8") == text
    assert log.summary()["has_wound"]["mean_s"] == 2.0
    assert all(not row["audio_file"] for row in log.to_rows())  # no audio unless the setting says so
