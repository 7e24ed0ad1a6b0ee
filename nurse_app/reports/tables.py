"""The report's tables as CSV (UTF-8 with BOM) and as an Excel workbook (one sheet per table).

The BOM makes Excel on Chinese Windows read the CSV as UTF-8 instead of GBK.
A CSV holds one table, so the file carries every table one after the other:
a title row, the header, the rows, a blank line. Cells are the same text as
``nurse-station stats`` and the PDF (``12.3%``, ``499.4``, ``-``); the workbook
keeps rates and durations as numbers formatted the same way.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import replace
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from nurse_app.reports.data import WardMonthFigures
from nurse_app.reports.labels import Labels
from nurse_app.reports.sections import DataTable, Pct, Secs, cell_text, report_tables

__all__ = ["csv_text", "write_csv", "write_xlsx"]

BOM = "\ufeff"


def _tables(figures: WardMonthFigures, labels: Labels) -> tuple[DataTable, ...]:
    """The report's tables; an empty period says so in a last row of the headline table."""
    tables = report_tables(figures, labels)
    if figures.has_data:
        return tables
    head = tables[0]
    note = (labels["no_data"], *([None] * (len(head.header) - 1)))
    return (replace(head, rows=(*head.rows, note)), *tables[1:])


def csv_text(figures: WardMonthFigures, *, lang: str = "zh_CN") -> str:
    """Every table of the report in one CSV text (without the BOM)."""
    labels = Labels(lang)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # CRLF: what Excel writes and expects
    for table in _tables(figures, labels):
        writer.writerow([table.title])
        writer.writerow(table.header)
        writer.writerows([cell_text(c) for c in row] for row in table.rows)
        writer.writerow([])
    return out.getvalue()


def _atomic_write(path: Path, data: bytes) -> Path:
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(data)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def write_csv(figures: WardMonthFigures, path: str | os.PathLike[str], *, lang: str = "zh_CN") -> Path:
    return _atomic_write(Path(path), (BOM + csv_text(figures, lang=lang)).encode("utf-8"))


def _sheet_title(title: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique in the workbook.
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "Sheet"
    name, n = clean, 2
    while name in used:
        name = f"{clean[:28]}({n})"
        n += 1
    used.add(name)
    return name


def write_xlsx(figures: WardMonthFigures, path: str | os.PathLike[str], *, lang: str = "zh_CN") -> Path:
    """One sheet per table: bold header, frozen header row, column widths fitted to the text."""
    labels = Labels(lang)
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in _tables(figures, labels):
        sheet = book.create_sheet(_sheet_title(table.title, used))
        sheet.append(list(table.header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_xlsx_value(v) for v in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=True):
                if isinstance(value, Pct):
                    cell.number_format = "0.0%"
                elif isinstance(value, Secs):
                    cell.number_format = "0.0"
        sheet.freeze_panes = "A2"
        for index, header in enumerate(table.header, start=1):
            texts = [str(header), *(cell_text(row[index - 1]) for row in table.rows)]
            # Han characters are about twice as wide as Latin ones in Excel's default font.
            width = max(
                sum(2 if ord(ch) > 0x2E7F else 1 for ch in line)
                for text in texts
                for line in text.split("\n")
            )
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 6), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return _atomic_write(Path(path), buffer.getvalue())


def _xlsx_value(value: object) -> object:
    # None stays "-" as in every other output; Pct/Secs become plain floats (formatted by the cell).
    if value is None:
        return "-"
    if isinstance(value, Pct | Secs):
        return float(value)
    return value
