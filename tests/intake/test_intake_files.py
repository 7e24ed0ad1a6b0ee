"""HL7 from files: batch import, the drop folder (done/ and failed/), and the CLI commands."""

from __future__ import annotations

from server_sync.service.cli import main
from server_sync.service.intake.hl7_files import watch_once


def test_batch_file_and_drop_folder(hospital, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "batch.hl7").write_bytes(hospital.message("batch.hl7", "B-" + hospital.visit))
    (drop / "bad.hl7").write_bytes(hospital.message("bad_birth_date.hl7"))
    seen: dict = {}
    assert watch_once(database=hospital.database, folder=drop, settings=hospital.settings, seen=seen) == []
    reports = watch_once(database=hospital.database, folder=drop, settings=hospital.settings, seen=seen)
    by_name = {report.path.rsplit("/", 1)[-1]: report for report in reports}
    assert [o.code for o in by_name["batch.hl7"].outcomes] == ["AA", "AA"]
    assert by_name["batch.hl7"].outcomes[1].result.enrolled == ["HF-DISCHARGE"]
    assert [o.code for o in by_name["bad.hl7"].outcomes] == ["AE"]
    assert (drop / "done" / "batch.hl7").exists() and (drop / "failed" / "bad.hl7").exists()
    assert "MSA|AE|" in (drop / "failed" / "bad.hl7.ack").read_text(encoding="utf-8")
    assert not (drop / "batch.hl7").exists()


def test_cli_import_hl7_and_dead_letters(hospital, tmp_path, database_url, capsys, world):
    good, bad = tmp_path / "a03.hl7", tmp_path / "bad.hl7"
    good.write_bytes(hospital.message("a03_discharge.hl7"))
    new_ward = f"X{world.tag}"
    bad.write_bytes(hospital.message("a01_admit.hl7", **{"$WARD": new_ward}))
    assert main(["--db", database_url, "import-hl7", str(good)]) == 0
    assert main(["--db", database_url, "import-hl7", str(bad)]) == 1
    output = capsys.readouterr().out
    letter_id = output.split("dead letter ")[1].split()[0]
    assert main(["--db", database_url, "dead-letters", "list"]) == 0
    assert letter_id in capsys.readouterr().out
    assert main(["--db", database_url, "dead-letters", "show", letter_id]) == 0
    shown = capsys.readouterr().out
    assert "unknown ward" in shown and "PID|1||" in shown
    assert main(["--db", database_url, "dead-letters", "replay", letter_id]) == 1  # still unknown
    assert (
        main(["--db", database_url, "wards", "add", new_ward, "--name", "新", "--department", "心内科"]) == 0
    )
    assert main(["--db", database_url, "dead-letters", "replay", letter_id]) == 0
    assert "replayed" in capsys.readouterr().out
