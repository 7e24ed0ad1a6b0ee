"""导出报告: build the figures, write PDF / CSV / xlsx on the db worker, progress relayed by a signal."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from nurse_app.desk.context import DeskContext
from nurse_app.domain.metrics import Period
from nurse_app.reports.data import build_figures
from nurse_app.reports.pdf import write_pdf

FORMATS = ("pdf", "csv", "xlsx")


def table_writer(fmt: str) -> Callable[..., object] | None:
    """The CSV / xlsx writer of ``nurse_app.reports.tables`` when it is there (it is being finished)."""
    try:
        tables = importlib.import_module("nurse_app.reports.tables")
    except ImportError:
        return None
    return getattr(tables, f"write_{fmt}", None)


def available_formats() -> tuple[str, ...]:
    return tuple(fmt for fmt in FORMATS if fmt == "pdf" or table_writer(fmt) is not None)


class ProgressRelay(QObject):
    """Made on the GUI thread; emitting from the worker queues the call back onto the GUI thread."""

    sig_progress = Signal(int, int, str)


def export_report(
    ctx: DeskContext,
    wards: Sequence[str],
    period: Period,
    label: str,
    fmt: str,
    path: Path,
    *,
    lang: str,
    progress: Callable[[int, int, str], None] | None = None,
) -> Path:
    """Build the figures (scope checked) and write the report; runs off the GUI thread."""
    with ctx.unit_of_work() as (_repo, session):
        figures = build_figures(
            session,
            wards,
            period,
            as_of=ctx.now(),
            label=label,
            zone=ctx.zone,
            user=ctx.user,
            progress=progress,
        )
    if fmt == "pdf":
        return write_pdf(figures, path, lang=lang)
    writer = table_writer(fmt)
    if writer is None:
        raise ValueError(f"export to {fmt} is not available in this build")
    result = writer(figures, path, lang=lang)
    return Path(result) if isinstance(result, str | Path) else path
