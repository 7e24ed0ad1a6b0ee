"""Read-aloud with the real pyttsx3 + espeak-ng engine: the voice picked, rendering, the queue, stop and skip.

CI has no sound card, so playback goes to a player that takes real time per
real WAV (the speech pyttsx3 rendered) without a device; pyttsx3 itself is real.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import wave
from pathlib import Path

import pytest

from nurse_app.voice import ReadAloud, TtsVoice, choose_voice
from nurse_app.voice.tts_voices import mandarin_rank

ESPEAK = shutil.which("espeak-ng")
pytestmark = pytest.mark.skipif(not ESPEAK, reason="espeak-ng is the speech engine on Linux")
SCRIPT = "您好，我是心内科的护士，今天给您做出院后随访。请问您最近有没有胸痛？"


class RealTimeSilentPlayer:
    """Takes as long as the WAV lasts, stopping within 20 ms — like a sound card, without one."""

    def __init__(self) -> None:
        self.played: list[float] = []

    def available(self) -> tuple[bool, str]:
        return True, ""

    def play(self, wav_path: str, stop: threading.Event) -> bool:
        with wave.open(wav_path, "rb") as wav:
            seconds = wav.getnframes() / wav.getframerate()
        self.played.append(seconds)
        return not stop.wait(seconds)


@pytest.fixture(scope="module")
def reader() -> ReadAloud:
    player = RealTimeSilentPlayer()
    reader = ReadAloud(player=player)
    yield reader
    reader.close()


def test_espeak_cmn_mangles_han_text_and_pinyin_voice_does_not() -> None:
    # The fact the voice choice rests on: plain cmn switches to English on Han text.
    def phonemes(voice: str) -> str:
        return subprocess.run(
            [ESPEAK, "-q", "-x", "-v", voice, "您好"], capture_output=True, text=True
        ).stdout

    assert "(en)" in phonemes("cmn")
    assert "(en)" not in phonemes("cmn-latn-pinyin")


def test_best_mandarin_voice_is_chosen(reader: ReadAloud) -> None:
    ok, reason = reader.available()
    assert ok, reason
    chosen = reader.chosen_voice("zh_CN")
    assert chosen is not None and chosen.id == "sit/cmn-latn-pinyin"
    english = reader.chosen_voice("en")
    assert english is not None and "en" in english.id


def test_voice_ranking_across_drivers() -> None:
    voices = [
        TtsVoice("sit/cmn", "Chinese (Mandarin, latin as English)", ("cmn",)),
        TtsVoice("sit/yue", "Chinese (Cantonese)", ("yue",)),
        TtsVoice("HKEY\\...\\TTS_MS_ZH-CN_HUIHUI_11.0", "Microsoft Huihui Desktop - Chinese (Simplified)"),
        TtsVoice("sit/hak", "Hakka Chinese", ("hak",)),
    ]
    assert choose_voice(voices, "zh_CN").name.startswith("Microsoft Huihui")
    assert mandarin_rank(voices[0]) > mandarin_rank(voices[1]) > mandarin_rank(voices[3]) == 0
    assert choose_voice(voices, "zh_CN", preferred="sit/yue").id == "sit/yue"  # the nurse's choice wins
    assert choose_voice(voices, "fr") is None


def test_save_to_file_renders_mandarin_speech(reader: ReadAloud, tmp_path: Path) -> None:
    out = reader.save_to_file(SCRIPT, tmp_path / "script.wav").result(30)
    with wave.open(out, "rb") as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert seconds > 2.0  # a real utterance, not an empty header


def test_queue_skip_and_stop(reader: ReadAloud) -> None:
    finished: list[tuple[int, bool]] = []
    started: list[int] = []
    reader.on_started = started.append
    reader.on_finished = lambda job, done: finished.append((job, done))
    first = reader.speak(SCRIPT)
    second = reader.speak("请问您的体温是多少？")
    third = reader.speak("谢谢，再见。")
    deadline = time.monotonic() + 15
    while first not in started and time.monotonic() < deadline:
        time.sleep(0.02)
    reader.skip()  # ends the first text only
    while len(finished) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert finished[0] == (first, False)
    assert finished[1][0] == second
    reader.speak("这一句不会读完。")
    reader.speak("这一句不会开始。")
    time.sleep(0.3)
    reader.stop()  # ends the current text and drops the queue
    time.sleep(0.5)
    # The texts queued behind the stopped one never start.
    assert {job for job, _done in finished} <= {first, second, third}


def test_unavailable_without_an_output_device() -> None:
    reader = ReadAloud()  # the real sound-device player: CI has no output device
    try:
        ok, reason = reader.available()
        if ok:
            pytest.skip("this machine has an audio output device")
        assert "output" in reason
    finally:
        reader.close()


def test_sapi5_guard_is_chosen_by_platform() -> None:
    # Construction only: the worker starts but no engine is made until the first job.
    guarded = ReadAloud(platform="win32")
    try:
        assert guarded.driver == "sapi5" and guarded.fresh_engine_per_utterance
    finally:
        guarded.close()
    plain = ReadAloud(platform="linux")
    try:
        assert plain.driver == "espeak" and not plain.fresh_engine_per_utterance
    finally:
        plain.close()
