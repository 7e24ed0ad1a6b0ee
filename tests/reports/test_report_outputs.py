"""The report files of a demo hospital: PDF text equals ``nurse-station stats``, fonts embedded, pages
readable, xlsx equal to the CSV, empty months and user errors handled before any work.

The demo cache (400 patients, fixed seed and "now") is encrypted with a fixed
key and built once for the module; its key is also put in the test session's
keyring so the command line (which reads the key from the keyring) opens it.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import keyring
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from nurse_app.cli import main
from nurse_app.demo.load import load_demo
from nurse_app.domain.model import Role, User
from nurse_app.reports.data import WardMonthFigures, build_ward_month
from nurse_app.reports.labels import fmt_rate, fmt_seconds
from nurse_app.reports.pdf import write_pdf
from nurse_app.reports.scope import UnknownWard, WardNotPermitted, check_scope
from nurse_app.reports.tables import csv_text, write_csv, write_xlsx
from nurse_app.security.cache_key import SERVICE_NAME, cache_key_username
from nurse_app.store.engine import open_cache
from nurse_app.store.migrate import upgrade_to_head

KEY = "7a" * 32
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)
NOW_TEXT = "2026-11-20T12:00+08:00"
WARD, MONTH = "CARD1", "2026-10"

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory, test_session_plaintext_keyring: object) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = open_cache(path, KEY)
    upgrade_to_head(engine)
    load_demo(engine, patients=400, seed=11, now=NOW)
    engine.dispose()
    keyring.set_password(SERVICE_NAME, cache_key_username(path), KEY)
    yield path


@pytest.fixture(scope="module")
def engine(cache: Path) -> Iterator[Engine]:
    engine = open_cache(cache, KEY)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def figures(engine: Engine) -> WardMonthFigures:
    with engine.connect() as conn:
        return build_ward_month(conn, [WARD], MONTH, as_of=NOW)


@pytest.fixture(scope="module")
def pdf(figures: WardMonthFigures, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pdf(figures, tmp_path_factory.mktemp("pdf") / "card1.pdf")


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def stats_row(cache: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    args = ["--cache", str(cache), "stats", "--from", "2026-10-01", "--to", "2026-11-01", "--format", "json"]
    assert main([*args, "--now", NOW_TEXT]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    return next(row for row in rows if row["group"] == WARD)


@needs_poppler
def test_pdf_carries_the_numbers_of_stats(
    cache: Path, pdf: Path, figures: WardMonthFigures, capsys: pytest.CaptureFixture[str]
) -> None:
    row = stats_row(cache, capsys)
    text = pdf_text(pdf)
    expected = {
        "漏访率": f"{fmt_rate(row['miss_rate'])} ({row['missed']}/{row['closed']})",
        "24小时及时率": f"{fmt_rate(row['on_time_rate'])} ({row['on_time']}/{row['discharges']})",
        "接通率": f"{fmt_rate(row['reach_rate'])} ({row['reached']}/{row['attempted']})",
        "满意率": f"{fmt_rate(row['satisfaction_rate'])} ({row['satisfied']}/{row['satisfaction_answers']})",
        "通话时长中位数": fmt_seconds(row["duration_median_s"]),
        "通话时长平均值": fmt_seconds(row["duration_mean_s"]),
    }
    lines = text.splitlines()
    for label, value in expected.items():
        line = next(line for line in lines if line.strip().startswith(label))
        assert value in line, (label, value, line)
    assert row["closed"] > 0 and row["attempted"] > 0  # the demo month is not trivially empty
    # pdftotext drops the spaces between runs of the two faces, hence the comparison without spaces.
    assert "第1页/共" in text.replace(" ", "") and "随访质量月报" in text and "示范医院" in text
    assert "漏访明细" in text and "护士明细" in text
    # The by-diagnosis table follows the by-plan table, one row per ICD-10 category.
    assert text.index("随访方案明细") < text.index("病种明细") < text.index("漏访明细")
    for line in figures.by_diagnosis:
        assert line.label in text, line.label


def csv_sections(text: str) -> dict[str, list[list[str]]]:
    """title → header and rows of every table of the report CSV."""
    sections: dict[str, list[list[str]]] = {}
    rows = list(csv.reader(io.StringIO(text)))
    start = 0
    for index, row in enumerate([*rows, []]):
        if not row:
            if index > start:
                sections[rows[start][0]] = rows[start + 1 : index]
            start = index + 1
    return sections


@pytest.mark.parametrize(
    ("lang", "title", "first"),
    [("zh_CN", "病种明细", "病种（ICD-10 类目）"), ("en", "By diagnosis group", "Diagnosis group (ICD-10)")],
)
def test_csv_has_the_by_diagnosis_table_after_the_by_plan_table(
    figures: WardMonthFigures, lang: str, title: str, first: str
) -> None:
    text = csv_text(figures, lang=lang)
    sections = csv_sections(text)
    titles = list(sections)
    assert titles.index(title) == titles.index("随访方案明细" if lang == "zh_CN" else "By plan") + 1
    header, *rows = sections[title]
    assert header[0] == first
    assert [row[0] for row in rows] == [line.label for line in figures.by_diagnosis]
    assert all(row[0][:3].isalnum() and row[0][3] == " " for row in rows)  # "I50 心力衰竭"
    # Completed, closed and missed per group add up to the headline's counts.
    completed, closed, missed = (sum(int(row[i]) for row in rows) for i in (1, 2, 3))
    head = figures.headline.current
    assert (completed, closed, missed) == (head.completed, head.miss.denominator, head.miss.numerator)
    assert closed > 0 and len(rows) > 1  # the demo month is not trivially empty


@needs_poppler
def test_fonts_are_embedded(pdf: Path) -> None:
    out = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()[2:]]
    cjk = [r for r in rows if "DroidSansFallback" in r[0]]
    assert cjk and all(r[-5] == "yes" and r[-4] == "yes" for r in cjk)  # emb, sub
    assert all(r[-5] == "yes" for r in rows if "DejaVu" in r[0])


@needs_poppler
def test_pages_render_with_dark_title_pixels(pdf: Path, tmp_path: Path) -> None:
    subprocess.run(["pdftoppm", "-r", "50", "-gray", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.pgm"))
    assert len(pages) >= 3
    for page in pages:
        width, height, pixels = read_pgm(page)
        assert sum(1 for p in pixels if p < 128) > 200, page.name  # not blank
    # Cover: the title 随访质量月报 is centred about 1/3 down; boxes (tofu) would be thin outlines.
    width, height, pixels = read_pgm(pages[0])
    band = [
        pixels[y * width + x] for y in range(int(height * 0.30), int(height * 0.40)) for x in range(width)
    ]
    assert sum(1 for p in band if p < 100) > 150


def read_pgm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    parts = data.split(maxsplit=4)  # P5, width, height, maxval, pixels
    assert parts[0] == b"P5"
    return int(parts[1]), int(parts[2]), parts[4]


def test_xlsx_matches_the_csv(figures: WardMonthFigures, tmp_path: Path) -> None:
    csv_path = write_csv(figures, tmp_path / "r.csv")
    xlsx_path = write_xlsx(figures, tmp_path / "r.xlsx")
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    sections, current = [], []
    for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))):
        if row:
            current.append(row)
        elif current:
            sections.append(current)
            current = []
    book = load_workbook(xlsx_path)
    assert len(book.sheetnames) == len(sections) == 9
    for sheet, section in zip(book.worksheets, sections, strict=True):
        assert sheet.title == section[0][0][:31]
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.column_dimensions["A"].width > 6
        for xlsx_row, csv_row in zip(sheet.iter_rows(), section[1:], strict=True):
            assert [as_text(cell) for cell in xlsx_row] == csv_row


def as_text(cell: object) -> str:
    """An xlsx cell as the CSV writes it: numbers through the cell's own number format."""
    value, number_format = cell.value, cell.number_format  # type: ignore[attr-defined]
    if number_format == "0.0%":
        return fmt_rate(value)
    if number_format == "0.0":
        return fmt_seconds(value)
    return "" if value is None else str(value)


@needs_poppler
def test_empty_month_says_no_data(engine: Engine, tmp_path: Path) -> None:
    with engine.connect() as conn:
        empty = build_ward_month(conn, [WARD], "2024-01", as_of=NOW)
    assert not empty.has_data and empty.headline.miss.value is None
    text = pdf_text(write_pdf(empty, tmp_path / "empty.pdf"))
    assert "本期无数据" in text
    assert "本期无数据" in write_csv(empty, tmp_path / "empty.csv").read_text("utf-8-sig")
    write_xlsx(empty, tmp_path / "empty.xlsx")


def test_english_labels(figures: WardMonthFigures, tmp_path: Path) -> None:
    path = write_pdf(figures, tmp_path / "en.pdf", lang="en", hospital="General Hospital")
    if shutil.which("pdftotext"):
        text = pdf_text(path)
        assert "Miss rate" in text and "General Hospital" in text and "Page 1 of" in text, text[:500]


def test_cli_writes_every_format(cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for suffix in ("pdf", "csv", "xlsx"):
        out = tmp_path / f"r.{suffix}"
        args = ["--cache", str(cache), "report", "--ward", WARD, "--month", MONTH, "--out", str(out)]
        assert main([*args, "--now", NOW_TEXT]) == 0
        assert out.stat().st_size > 0
    assert "report written to" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("ward", "out", "message"),
    [
        ("NOPE", "r.pdf", "unknown ward NOPE"),
        (WARD, "missing/r.pdf", "does not exist"),
        (WARD, "r.docx", "unknown report format"),
    ],
)
def test_cli_refuses_before_work(
    cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], ward: str, out: str, message: str
) -> None:
    args = ["--cache", str(cache), "report", "--ward", ward, "--month", MONTH, "--out", str(tmp_path / out)]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / out).exists()


def test_cli_refuses_unwritable_folder(
    cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        if (locked / "probe").parent.stat().st_mode & 0o200 == 0 and not _is_root():
            args = [
                "--cache",
                str(cache),
                "report",
                "--ward",
                WARD,
                "--month",
                MONTH,
                "--out",
                str(locked / "r.pdf"),
            ]
            assert main(args) == 2
            assert "no permission" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


def test_check_scope_refuses_wards_the_user_may_not_see(engine: Engine) -> None:
    manager = User("m", "护士长", Role.WARD_MANAGER, ("CARD1", "CARD2"))
    assert check_scope(manager, ["CARD1", "CARD2", "CARD1"]) == ("CARD1", "CARD2")
    with pytest.raises(WardNotPermitted, match="NEURO1"):
        check_scope(manager, ["CARD1", "NEURO1"])
    assert check_scope(User("a", "admin", Role.ADMIN), ["NEURO1"]) == ("NEURO1",)
    with engine.connect() as conn, pytest.raises(WardNotPermitted):
        build_ward_month(conn, ["NEURO1"], MONTH, as_of=NOW, user=manager)
    with engine.connect() as conn, pytest.raises(UnknownWard):
        build_ward_month(conn, ["NOPE"], MONTH, as_of=NOW)
