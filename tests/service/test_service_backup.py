"""Backup → more writes → restore: the data returns to the backup and the server epoch changes."""

from __future__ import annotations

from service_helpers import make_chart

from nurse_app.domain.model import Role
from server_sync.service.core.backup import backup, restore


def test_backup_restore_gives_a_new_epoch_and_desks_re_push(world, tmp_path):
    ward = world.ward()
    username = world.user(Role.NURSE, (ward,))
    desk = world.desk(username)
    kept, lost = make_chart(ward), make_chart(ward)
    desk.push(*kept.records)
    old_epoch = desk.login["server_epoch"]
    path = tmp_path / "followup.backup"
    backup(world.database.engine, path)
    assert desk.push(*lost.records)[0]["status"] == "applied"  # written after the backup
    new_epoch = restore(world.database.engine, path)
    assert new_epoch != old_epoch
    world.database.engine.dispose()  # drop pooled connections that knew the old file/rows
    assert desk.http.get(f"/records/patient/{kept.patient.id}").status_code == 200
    assert desk.http.get(f"/records/patient/{lost.patient.id}").status_code == 404
    # The desk notices the new epoch and re-pushes its journal: the server says where to resume.
    answer = desk.push_raw([])
    assert answer.json()["server_epoch"] == new_epoch and answer.json()["last_applied_seq"] == 4
    journal = [desk.mutation(record, seq=seq) for seq, record in enumerate((*kept.records, *lost.records), 1)]
    results = desk.push_raw(journal).json()["results"]
    assert [r["status"] for r in results] == ["duplicate"] * 4 + ["applied"] * 4
    assert desk.http.get(f"/records/patient/{lost.patient.id}").status_code == 200
    stale = desk.http.get("/sync/pull", params={"cursor": 0, "epoch": old_epoch})
    assert stale.status_code == 409 and stale.json()["code"] == "epoch_changed"
