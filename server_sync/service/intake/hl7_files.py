"""HL7 from files: one message or an FHS/BHS … BTS/FTS batch per file, and the drop folder.

The drop folder (``followup-server hl7-watch DIR``) takes each file once its
size stopped changing, applies every message in it, writes the ACKs next to
it, and moves it to ``done/`` (all AA) or ``failed/`` (anything else; the
failed messages are also in the dead-letter table).
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from server_sync.service.core.db import Database
from server_sync.service.intake import hl7_intake
from server_sync.service.intake.config import IntakeSettings

log = logging.getLogger("followup.intake.files")
_BATCH_SEGMENTS = (b"FHS", b"BHS", b"BTS", b"FTS")


def split_messages(data: bytes) -> list[bytes]:
    """The messages of a file: batch header/trailer segments dropped, split at each MSH."""
    text = data.replace(b"\r\n", b"\r").replace(b"\n", b"\r")
    if text.startswith(b"\x0b"):  # a file saved with MLLP framing
        text = text.replace(b"\x0b", b"").replace(b"\x1c", b"")
    messages: list[bytearray] = []
    for segment in text.split(b"\r"):
        if not segment.strip() or segment[:3] in _BATCH_SEGMENTS:
            continue
        if segment.startswith(b"MSH") or not messages:
            messages.append(bytearray())
        messages[-1].extend(segment + b"\r")
    return [bytes(m) for m in messages]


@dataclass(slots=True)
class FileReport:
    path: str
    outcomes: list[hl7_intake.Hl7Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.outcomes) and all(o.code == "AA" for o in self.outcomes)

    def summary(self) -> str:
        codes = [o.code for o in self.outcomes]
        accepted = codes.count("AA")
        return f"{self.path}: {len(codes)} message(s), {accepted} AA, {len(codes) - accepted} failed"


def import_file(
    *, database: Database, path: Path, settings: IntakeSettings, source: str = "file"
) -> FileReport:
    """Apply every message of one file (a single message or a batch)."""
    report = FileReport(str(path))
    data = path.read_bytes()
    for number, message in enumerate(split_messages(data), start=1):
        outcome = hl7_intake.process(
            database=database,
            raw=message,
            settings=settings,
            source=source,
            source_ref=f"{path.name}#{number}",
        )
        report.outcomes.append(outcome)
    return report


def _stable(path: Path, seen: dict[Path, int]) -> bool:
    """True once a file's size is the same on two looks (the sender finished writing)."""
    size = path.stat().st_size
    previous = seen.get(path)
    seen[path] = size
    return previous == size


def watch_once(
    *, database: Database, folder: Path, settings: IntakeSettings, seen: dict[Path, int]
) -> list[FileReport]:
    """One pass over the drop folder; files still being written wait for the next pass."""
    done, failed = folder / "done", folder / "failed"
    done.mkdir(exist_ok=True)
    failed.mkdir(exist_ok=True)
    reports = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        if path.suffix.lower() == ".ack" or not _stable(path, seen):
            continue
        report = import_file(database=database, path=path, settings=settings, source="file")
        target = done if report.ok else failed
        acks = "".join(o.ack.replace("\r", "\n") + "\n" for o in report.outcomes)
        (target / f"{path.name}.ack").write_text(acks, encoding="utf-8")
        shutil.move(str(path), str(_free_name(target / path.name)))
        seen.pop(path, None)
        log.info("%s", report.summary())
        reports.append(report)
    return reports


def _free_name(path: Path) -> Path:
    if not path.exists():
        return path
    stamp = time.strftime("%Y%m%d%H%M%S")
    return path.with_name(f"{path.stem}.{stamp}{path.suffix}")


def watch(
    *,
    database: Database,
    folder: Path,
    settings: IntakeSettings,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Poll the drop folder until ``should_stop`` (``followup-server hl7-watch``)."""
    seen: dict[Path, int] = {}
    while not should_stop():
        watch_once(database=database, folder=folder, settings=settings, seen=seen)
        time.sleep(settings.watch_interval_seconds)
