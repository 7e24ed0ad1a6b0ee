"""``nurse-station scales list|show|import|export`` through ``nurse_app.cli.main``, in a temporary home."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from nurse_app.cli import main
from nurse_app.domain.forms.bundled import bundled_scales

FIXTURES = Path(__file__).parent / "fixtures" / "fhir"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FOLLOWUP_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_list_shows_every_bundled_scale(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "scales", "list")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["code", "version", "status", "source"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == set(bundled_scales())
    assert rows["phq9"][1:4] == ["1", "published", "bundled"]
    assert "患者健康问卷抑郁量表（PHQ-9）" in out
    assert not (home / "scales").exists()  # listing never creates the library folder


def test_show_in_chinese_and_english(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "scales", "show", "phq9")
    assert status == 0
    assert out.startswith("phq9 v1 (published, bundled) — 患者健康问卷抑郁量表（PHQ-9）")
    assert "© PHQ-9 © Pfizer" in out and "危急值规则" in out and "0–4 无抑郁症状或极轻微" in out
    status, out, _ = run(capsys, "scales", "show", "general_followup", "--lang", "en")
    assert status == 0
    assert "[integer, 40–300] systolic_bp  Systolic blood pressure (mmHg)" in out
    assert "SBP_HIGH [critical] systolic_bp >= 180" in out
    assert "red_swollen_discharging = Red, swollen, discharging (2)" in out


def test_show_unknown_scale_is_a_clear_error(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "scales", "show", "eq5d")
    assert status == 2
    assert "no scale 'eq5d'" in err and "phq9" in err
    status, _, err = run(capsys, "scales", "show", "phq9", "--version", "4")
    assert status == 2 and "has no version 4" in err


def test_export_writes_valid_fhir(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "barthel.json"
    status, out, _ = run(capsys, "scales", "export", "barthel", "--out", str(target))
    assert status == 0 and f"exported barthel v1 (fhir) → {target}" in out
    data = json.loads(target.read_text(encoding="utf-8"))
    Questionnaire.model_validate(data)
    assert data["copyright"].startswith("Barthel Index")
    status, out, _ = run(capsys, "scales", "export", "nrs_pain", "--format", "native")
    assert status == 0 and json.loads(out)["code"] == "nrs_pain"


def test_import_keeps_a_draft_then_publishes(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "phq.json"
    shutil.copy(FIXTURES / "loinc_phq9.json", source)
    status, out, _ = run(capsys, "scales", "import", str(source))
    assert status == 0
    saved = home / "scales" / "PHQ_9.v2.json"
    assert f"imported PHQ_9 v2 (draft) → {saved}" in out
    assert "! [/44250-9] code: item codes (e.g. LOINC) are not kept" in out
    assert "! [-] version '2.72'" in out
    stored = json.loads(saved.read_text(encoding="utf-8"))
    assert (stored["status"], stored["sourceVersion"]) == ("draft", "2.72")
    assert stored["copyright"].startswith("Copyright © Pfizer")

    status, out, _ = run(capsys, "scales", "list")
    row = next(line.split() for line in out.splitlines() if line.startswith("PHQ_9"))
    assert row[1:4] == ["2", "draft", "library"]

    status, out, _ = run(capsys, "scales", "import", str(source), "--publish")
    assert status == 0 and "imported PHQ_9 v2 (published)" in out  # a draft may be replaced
    status, out, _ = run(capsys, "scales", "import", str(source), "--publish")
    assert status == 0 and "already in the library: PHQ_9 v2" in out
    status, _, err = run(capsys, "scales", "import", str(source))
    assert status == 2 and "already exists" in err  # the published version is not turned back into a draft

    status, out, _ = run(capsys, "scales", "export", "PHQ_9")
    exported = json.loads(out)
    assert exported["version"] == "2" and exported["status"] == "active"
    assert exported["copyright"].startswith("Copyright © Pfizer")
    assert any(
        e["valueString"] == "2.72" for e in exported["extension"] if e["url"].endswith("source-version")
    )


def test_import_refuses_to_change_a_bundled_version(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = tmp_path / "gad7.json"
    assert run(capsys, "scales", "export", "gad7", "--out", str(exported))[0] == 0
    data = json.loads(exported.read_text(encoding="utf-8"))
    data["title"] = "GAD-7 (changed)"
    exported.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    status, _, err = run(capsys, "scales", "import", str(exported), "--publish")
    assert status == 2 and "gad7 v1 already exists (bundled, published)" in err
    data["version"] = "2"
    exported.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    status, out, _ = run(capsys, "scales", "import", str(exported), "--publish")
    assert status == 0 and "imported gad7 v2 (published)" in out
    status, out, _ = run(capsys, "scales", "show", "gad7")  # the highest version by default
    assert out.startswith("gad7 v2 (published, library) — GAD-7 (changed)")


def test_import_bad_files(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{nope", encoding="utf-8")
    status, _, err = run(capsys, "scales", "import", str(broken))
    assert status == 2 and "broken.json: not valid JSON" in err
    patient = tmp_path / "patient.json"
    patient.write_text(json.dumps({"resourceType": "Patient"}), encoding="utf-8")
    status, _, err = run(capsys, "scales", "import", str(patient))
    assert status == 2 and "not a FHIR Questionnaire: resourceType is 'Patient'" in err
    status, _, err = run(capsys, "scales", "import", str(tmp_path / "missing.json"))
    assert status == 2 and "cannot read" in err
    assert not (home / "scales").exists()  # nothing half-imported


def test_import_accepts_our_own_format_and_lists_broken_library_files(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    native = tmp_path / "native.json"
    assert run(capsys, "scales", "export", "stroke", "--format", "native", "--out", str(native))[0] == 0
    data = json.loads(native.read_text(encoding="utf-8"))
    data["code"] = "stroke_local"
    native.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    status, out, _ = run(capsys, "scales", "import", str(native))
    assert status == 0 and "imported stroke_local v1 (draft)" in out
    (home / "scales" / "junk.v1.json").write_text("[]", encoding="utf-8")
    status, out, err = run(capsys, "scales", "list", "--json")
    assert status == 0
    rows = {(r["code"], r["source"]) for r in json.loads(out)}
    assert ("stroke_local", "library") in rows and ("stroke", "bundled") in rows
    assert "junk.v1.json: cannot be read" in err
