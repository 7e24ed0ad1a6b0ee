"""Audio sources with one interface: microphone (:mod:`microphone`) and WAV file/stream (replay, tests).

A source yields blocks of 16-bit little-endian mono PCM at its *true* sample
rate. Nothing here resamples: Vosk downsamples by itself (44.1 and 48 kHz
microphones are fine) but cannot upsample, and a recognizer told the wrong
rate decodes garbage — so the recognizer is always created with
:attr:`AudioSource.sample_rate`.
"""

from __future__ import annotations

import math
import sys
import time
import wave
from array import array
from pathlib import Path
from typing import BinaryIO, Protocol

from nurse_app.voice.errors import AudioError

#: Vosk's models are trained on 16 kHz (8 kHz telephone models exist); below 8 kHz nothing works.
MIN_SAMPLE_RATE = 8000
SILENCE_DBFS = -96.0


class AudioSource(Protocol):
    """A push-to-talk audio source.

    ``read`` returns the next block, ``b""`` when nothing arrived within
    ``timeout`` (a live source), or ``None`` once the stream has ended.
    """

    @property
    def sample_rate(self) -> int: ...

    def start(self) -> None: ...

    def read(self, timeout: float = 0.5) -> bytes | None: ...

    def stop(self) -> None: ...


def rms_dbfs(block: bytes) -> float:
    """The RMS level of a 16-bit PCM block in dBFS (0 = full scale; :data:`SILENCE_DBFS` for silence)."""
    samples = _samples(block)
    if not samples:
        return SILENCE_DBFS
    mean_square = sum(s * s for s in samples) / len(samples)
    if mean_square <= 0:
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 10 * math.log10(mean_square / (32768.0 * 32768.0)))


def _samples(block: bytes) -> array:
    samples = array("h")
    samples.frombytes(block[: len(block) - len(block) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def downmix_to_mono(block: bytes, channels: int) -> bytes:
    """Average interleaved 16-bit channels into one (a stereo-only USB headset still gives mono)."""
    if channels == 1:
        return block
    samples = _samples(block)
    frames = len(samples) // channels
    mono = array("h", (sum(samples[i * channels : (i + 1) * channels]) // channels for i in range(frames)))
    if sys.byteorder == "big":
        mono.byteswap()
    return mono.tobytes()


class WavSource:
    """A WAV file or binary stream as an :class:`AudioSource` (16-bit PCM, any rate ≥ 8 kHz, mono or stereo).

    ``realtime=True`` paces blocks like a microphone would (replay, latency
    tests); the default hands them out as fast as they are read.
    """

    def __init__(self, wav: str | Path | BinaryIO, *, block_ms: int = 100, realtime: bool = False) -> None:
        try:
            self._wave = wave.open(wav if not isinstance(wav, Path) else str(wav), "rb")  # noqa: SIM115
        except (OSError, EOFError, wave.Error) as exc:
            raise AudioError(f"cannot read WAV audio {wav}: {exc}") from exc
        if self._wave.getsampwidth() != 2 or self._wave.getcomptype() != "NONE":
            raise AudioError("WAV audio must be 16-bit PCM (convert it, e.g. `sox in.wav -b 16 out.wav`)")
        if self._wave.getframerate() < MIN_SAMPLE_RATE:
            raise AudioError(f"sample rate {self._wave.getframerate()} Hz is below {MIN_SAMPLE_RATE} Hz")
        self._channels = self._wave.getnchannels()
        self._frames_per_block = max(1, self._wave.getframerate() * block_ms // 1000)
        self._realtime = realtime
        self._block_s = block_ms / 1000
        self._stopped = False
        self._next_at = 0.0

    @property
    def sample_rate(self) -> int:
        return self._wave.getframerate()

    @property
    def duration_s(self) -> float:
        return self._wave.getnframes() / self._wave.getframerate()

    def start(self) -> None:
        self._next_at = time.monotonic()

    def read(self, timeout: float = 0.5) -> bytes | None:
        if self._stopped:
            self._wave.close()  # closed by the reading thread: stop() may come from another one
            return None
        data = self._wave.readframes(self._frames_per_block)
        if not data:
            self._wave.close()
            return None
        if self._realtime:
            self._next_at += self._block_s
            delay = self._next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return downmix_to_mono(data, self._channels)

    def stop(self) -> None:
        self._stopped = True


class PcmSource:
    """Raw 16-bit mono PCM already in memory (a stream replayed, a test buffer) as an :class:`AudioSource`."""

    def __init__(self, pcm: bytes, sample_rate: int, *, block_ms: int = 100) -> None:
        if sample_rate < MIN_SAMPLE_RATE:
            raise AudioError(f"sample rate {sample_rate} Hz is below {MIN_SAMPLE_RATE} Hz")
        self._pcm = pcm
        self._rate = sample_rate
        self._step = max(2, sample_rate * block_ms // 1000 * 2)
        self._pos = 0
        self._stopped = False

    @property
    def sample_rate(self) -> int:
        return self._rate

    def start(self) -> None:
        self._pos = 0

    def read(self, timeout: float = 0.5) -> bytes | None:
        if self._stopped or self._pos >= len(self._pcm):
            return None
        block = self._pcm[self._pos : self._pos + self._step]
        self._pos += self._step
        return block

    def stop(self) -> None:
        self._stopped = True
