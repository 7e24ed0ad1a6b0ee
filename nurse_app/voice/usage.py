"""A record of dictation use: which fields were dictated and how long each took.

Kept in memory for the session and exported on demand (CSV, or rows for the
sync layer); it holds field ids and timings only — no patient text, and no
audio unless :attr:`VoiceSettings.store_audio` is switched on by IT.
"""

from __future__ import annotations

import csv
import io
import os
import threading
import wave
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path


@dataclass(frozen=True, slots=True)
class VoiceSettings:
    """Dictation settings (the desk's settings page stores them; defaults are safe)."""

    confidence_threshold: float = 0.6
    block_ms: int = 100
    #: Off by default: voice is patient data. When on, each utterance is kept as a WAV in ``audio_dir``.
    store_audio: bool = False
    audio_dir: Path | None = None


@dataclass(frozen=True, slots=True)
class UsageEntry:
    at: str  # UTC, ISO 8601
    link_id: str
    item_type: str
    lang: str
    mode: str  # "grammar" | "dictation"
    duration_s: float  # push to final result
    audio_s: float
    latency_ms: float  # end of audio to field value
    ok: bool
    reason: str
    low_confidence_words: int
    cancelled: bool = False
    audio_file: str = ""


class UsageLog:
    """Thread-safe in-memory list of :class:`UsageEntry` (dictation runs on worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[UsageEntry] = []

    def add(self, entry: UsageEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[UsageEntry]:
        with self._lock:
            return list(self._entries)

    def to_rows(self) -> list[dict[str, object]]:
        return [asdict(e) for e in self.entries()]

    def export_csv(self, target: str | os.PathLike[str] | None = None) -> str:
        """The log as CSV (UTF-8, header row); written to ``target`` when given, and returned."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=[f.name for f in fields(UsageEntry)], lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.to_rows())
        text = buffer.getvalue()
        if target is not None:
            Path(target).write_text(text, encoding="utf-8")
        return text

    def summary(self) -> dict[str, dict[str, float]]:
        """Per linkId: how many dictations, how many ok, mean duration in seconds."""
        out: dict[str, dict[str, float]] = {}
        for e in self.entries():
            row = out.setdefault(e.link_id, {"count": 0, "ok": 0, "seconds": 0.0})
            row["count"] += 1
            row["ok"] += e.ok
            row["seconds"] += e.duration_s
        for row in out.values():
            row["mean_s"] = row["seconds"] / row["count"]
        return out


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def save_audio(settings: VoiceSettings, pcm: bytes, sample_rate: int, link_id: str) -> str:
    """Keep one utterance as a WAV when (and only when) the settings say so; returns its path or ""."""
    if not settings.store_audio or settings.audio_dir is None or not pcm:
        return ""
    settings.audio_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    path = settings.audio_dir / f"{stamp}-{link_id or 'free'}.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm)
    return str(path)
