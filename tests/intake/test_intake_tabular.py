"""CSV and Excel discharge lists: bilingual headers, row-level errors, HTTP and CLI."""

from __future__ import annotations

import io
import uuid

from openpyxl import Workbook
from sqlalchemy import select

from nurse_app.domain.model import Role
from server_sync.service.cli import main
from server_sync.service.intake.models import DeadLetterRow

HEADERS_ZH = [
    "住院号",
    "姓名",
    "性别",
    "出生日期",
    "电话",
    "身份证号",
    "病区",
    "入院时间",
    "出院时间",
    "诊断编码",
    "诊断名称",
    "手术",
    "主治医师",
    "出院情况",
]
HEADERS_EN = [
    "MRN",
    "name",
    "sex",
    "birth_date",
    "phone",
    "national_id",
    "ward",
    "admitted_at",
    "discharged_at",
    "icd10",
    "diagnosis",
    "procedures",
    "attending",
    "discharge_disposition",
]


def _row(ward: str, **override: str) -> list[str]:
    values = {
        "MRN": f"ZY{uuid.uuid4().hex[:8]}",
        "name": "王五",
        "sex": "男",
        "birth_date": "1948-05-06",
        "phone": "13911112222",
        "national_id": "",
        "ward": ward,
        "admitted_at": "2026-11-20 08:00",
        "discharged_at": "2026-11-28 09:30",
        "icd10": "I50.9;I10",
        "diagnosis": "心力衰竭;高血压",
        "procedures": "",
        "attending": "李医生",
        "discharge_disposition": "好转",
        **override,
    }
    return [values[h] for h in HEADERS_EN]


def _csv(headers, rows) -> bytes:
    lines = [",".join(headers)] + [",".join(row) for row in rows]
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def test_csv_good_rows_applied_bad_rows_reported_and_dead_lettered(hospital):
    from server_sync.service.intake.tabular import import_discharges

    rows = [
        _row(hospital.ward),
        _row(hospital.ward, birth_date="1948-13-40"),
        _row("NOWARD" + hospital.ward),
        _row(hospital.ward, name=""),
        _row(hospital.ward, discharge_disposition="自动出院"),
    ]
    report = import_discharges(
        database=hospital.database,
        data=_csv(HEADERS_ZH, rows),
        filename="list.csv",
        settings=hospital.settings,
    )
    assert report.rows == 5 and report.applied == 2 and report.enrolled == 1  # 自动出院 is excluded
    problems = {(p.row, p.column) for p in report.problems}
    assert problems == {(3, "出生日期/birth_date"), (4, "病区/ward"), (5, "姓名/name")}
    with hospital.database.session() as s:
        letter = s.get(DeadLetterRow, report.problems[0].dead_letter_id)
    assert letter.content_type == "row" and "row 3" in letter.reason


def test_xlsx_over_http_needs_admin_or_intake_token(hospital, world, database_url, capsys):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS_EN)
    sheet.append(_row(hospital.ward))
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    nurse = world.desk(world.user(Role.NURSE, (hospital.ward,)))
    assert nurse.http.post("/intake/discharges?filename=l.xlsx", content=data).status_code == 403
    admin = world.desk(world.user(Role.ADMIN))
    answer = admin.http.post("/intake/discharges?filename=l.xlsx", content=data)
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"] == 1 and answer.json()["enrolled"] == 1
    # The intake token of a hospital system works without a person's login.
    assert main(["--db", database_url, "intake-token", "create", f"his-{world.tag}"]) == 0
    token = capsys.readouterr().out.split(": ")[-1].strip()
    system = world.http(token)
    answer = system.post("/intake/discharges", content=_csv(HEADERS_EN, [_row(hospital.ward)]))
    assert answer.status_code == 200 and answer.json()["applied"] == 1
    assert system.post("/intake/discharges", content=b"a,b\n1,2\n").status_code == 422
    assert main(["--db", database_url, "intake-token", "revoke", f"his-{world.tag}"]) == 0
    assert system.post("/intake/discharges", content=b"x").status_code == 401


def test_cli_import_discharges(hospital, tmp_path, database_url, capsys):
    path = tmp_path / "出院名单.csv"
    path.write_bytes(_csv(HEADERS_EN, [_row(hospital.ward), _row(hospital.ward, discharged_at="yesterday")]))
    assert main(["--db", database_url, "import-discharges", str(path)]) == 1
    out = capsys.readouterr().out
    assert "row 3, 出院时间/discharged_at" in out and "2 rows: 1 applied, 1 rejected" in out
    with hospital.database.session() as s:
        assert s.scalars(select(DeadLetterRow).where(DeadLetterRow.source_ref == f"{path.name}#row3")).first()
