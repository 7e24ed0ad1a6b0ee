"""CSV and Excel discharge lists (出院名单): one discharge per row, bilingual headers.

Every row is checked on its own: a bad row is reported with its row number
(as the spreadsheet shows it, header = row 1) and column, and dead-lettered;
good rows are applied, each in its own transaction. The template is in
``docs/intake.md``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from nurse_app.domain.model import Diagnosis, utc_now
from server_sync.service.core.db import Database
from server_sync.service.intake import dead_letters
from server_sync.service.intake.apply import apply_event
from server_sync.service.intake.config import IntakeSettings
from server_sync.service.intake.events import EventKind, IntakeError, IntakeEvent, PatientData, VisitData
from server_sync.service.intake.values import (
    clean_phone,
    disposition_flags,
    parse_iso_date,
    parse_iso_time,
    parse_sex,
)

# field → accepted headers (Chinese first, English second; matching ignores case and spaces).
COLUMNS: dict[str, tuple[str, ...]] = {
    "mrn": ("住院号", "MRN"),
    "name": ("姓名", "name"),
    "sex": ("性别", "sex"),
    "birth_date": ("出生日期", "birth_date"),
    "phone": ("电话", "phone"),
    "national_id": ("身份证号", "national_id"),
    "ward": ("病区", "ward"),
    "admitted_at": ("入院时间", "admitted_at"),
    "discharged_at": ("出院时间", "discharged_at"),
    "icd10": ("诊断编码", "icd10"),
    "diagnosis": ("诊断名称", "diagnosis"),
    "procedures": ("手术", "procedures"),
    "attending": ("主治医师", "attending"),
    "discharge_disposition": ("出院情况", "discharge_disposition"),
}
REQUIRED = ("mrn", "name", "birth_date", "ward", "discharged_at")
_SEPARATORS = (";", "；", "|")


@dataclass(slots=True)
class RowProblem:
    row: int
    column: str
    message: str
    dead_letter_id: str = ""


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    applied: int = 0
    enrolled: int = 0
    candidates: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "applied": self.applied,
            "rejected": len(self.problems),
            "enrolled": self.enrolled,
            "candidates": self.candidates,
            "problems": [
                {"row": p.row, "column": p.column, "message": p.message, "dead_letter_id": p.dead_letter_id}
                for p in self.problems
            ],
        }


def label(field_name: str) -> str:
    zh, en = COLUMNS[field_name]
    return f"{zh}/{en}"


def _norm(header: str) -> str:
    return "".join(str(header).split()).lower().lstrip("\ufeff")


def map_headers(headers: list[str]) -> dict[str, int]:
    """Field → column index; IntakeError naming the missing required columns."""
    lookup = {_norm(alias): name for name, aliases in COLUMNS.items() for alias in aliases}
    lookup.update({_norm(label(name)): name for name in COLUMNS})
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = lookup.get(_norm(header or ""))
        if name and name not in found:
            found[name] = index
    missing = [label(name) for name in REQUIRED if name not in found]
    if missing:
        raise IntakeError(
            f"missing column(s): {', '.join(missing)}", code="101", location="header", reject=True
        )
    return found


def read_rows(data: bytes, filename: str) -> list[list[str]]:
    """All rows (header first) of a CSV (UTF-8 with/without BOM, or GB18030) or .xlsx file."""
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        return _xlsx_rows(data)
    for codec in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(codec)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise IntakeError("the file is neither UTF-8 nor GB18030 text", code="102", reject=True)
    return [row for row in csv.reader(io.StringIO(text))]


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True):
        rows.append(["" if v is None else _cell(v) for v in values])
    workbook.close()
    return rows


def _cell(value: Any) -> str:
    from datetime import date, datetime

    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 住院号 12345 as 12345.0
    return str(value).strip()


def _split(text: str) -> list[str]:
    for sep in _SEPARATORS[1:]:
        text = text.replace(sep, _SEPARATORS[0])
    return [part.strip() for part in text.split(_SEPARATORS[0]) if part.strip()]


def row_event(values: dict[str, str], *, zone: str, source: str) -> IntakeEvent:
    """One row (field → text) as a discharge event; IntakeError names the column."""
    for name in REQUIRED:
        if not values.get(name, "").strip():
            raise IntakeError(f"{label(name)} is empty", code="101", location=label(name))

    def parsed(name: str, parser):
        return parser(values.get(name, ""), location=label(name))

    admitted = parse_iso_time(values.get("admitted_at", ""), zone=zone, location=label("admitted_at"))
    discharged = parse_iso_time(values["discharged_at"], zone=zone, location=label("discharged_at"))
    codes, names = _split(values.get("icd10", "")), _split(values.get("diagnosis", ""))
    diagnoses = tuple(
        Diagnosis(code, names[i] if i < len(names) else "", i == 0) for i, code in enumerate(codes)
    )
    disposition = values.get("discharge_disposition", "").strip()
    patient = PatientData(
        mrn=values["mrn"].strip(),
        name=values["name"].strip(),
        sex=parsed("sex", parse_sex),
        birth_date=parsed("birth_date", parse_iso_date),
        phone=clean_phone(values.get("phone", "")) or None,
        national_id=values.get("national_id", "").strip().upper() or None,
        deceased="deceased" in disposition_flags(disposition),
    )
    visit = VisitData(
        key=None,
        ward_code=values["ward"].strip(),
        admitted_at=admitted,
        discharged_at=discharged,
        diagnoses=diagnoses or None,
        procedures=tuple(_split(values.get("procedures", ""))) or None,
        attending=values.get("attending", "").strip() or None,
        disposition=disposition or None,
        flags=disposition_flags(disposition) if disposition else frozenset(),
    )
    return IntakeEvent(EventKind.DISCHARGE, source, patient, visit)


def import_discharges(
    *, database: Database, data: bytes, filename: str, settings: IntakeSettings
) -> ImportReport:
    """Apply a discharge list; returns per-row results (bad rows are dead-lettered)."""
    source = "xlsx" if filename.lower().endswith((".xlsx", ".xlsm")) else "csv"
    report = ImportReport()
    rows = read_rows(data, filename)
    if not rows:
        raise IntakeError("the file has no header row", code="101", location="header", reject=True)
    columns = map_headers(rows[0])
    headers = rows[0]
    for number, cells in enumerate(rows[1:], start=2):
        if not any(str(c).strip() for c in cells):
            continue
        report.rows += 1
        values = {name: (cells[i] if i < len(cells) else "") for name, i in columns.items()}
        try:
            event = row_event(values, zone=settings.default_zone, source=source)
            result = database.run_write(
                lambda s, e=event: apply_event(db_session=s, event=e, settings=settings, now=utc_now())
            )
        except IntakeError as error:
            problem = RowProblem(number, error.location, error.message)
            problem.dead_letter_id = _dead_letter(database, headers, cells, number, filename, source, error)
            report.problems.append(problem)
            continue
        report.applied += 1
        report.enrolled += len(result.enrolled)
        report.candidates += len(result.candidates)
    return report


def _dead_letter(
    database: Database, headers, cells, number: int, filename: str, source: str, error: IntakeError
) -> str:
    # The row keeps its own header names so a replay can read it back after the fix.
    raw = json.dumps({"headers": list(headers), "cells": list(cells)}, ensure_ascii=False).encode("utf-8")
    return database.run_write(
        lambda s: dead_letters.store(
            db_session=s,
            source=source,
            content_type="row",
            raw=raw,
            reason=f"row {number}, {error.location}: {error.message}",
            now=utc_now(),
            source_ref=f"{filename}#row{number}",
            detail={"row": number, "column": error.location, "code": error.code},
        )
    )


def replay_row(*, database: Database, raw: bytes, settings: IntakeSettings, source: str):
    """Apply a dead-lettered row again (after the ward or the data was fixed)."""
    stored = json.loads(raw.decode("utf-8"))
    columns = map_headers(stored["headers"])
    cells = stored["cells"]
    values = {name: (cells[i] if i < len(cells) else "") for name, i in columns.items()}
    event = row_event(values, zone=settings.default_zone, source=source)
    return database.run_write(
        lambda s: apply_event(db_session=s, event=event, settings=settings, now=utc_now())
    )
