"""Pull: paging in change order, no skipped commits between overlapping transactions, cursor expiry."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from service_helpers import make_chart

from nurse_app.domain.model import Role, utc_now
from server_sync.protocol import PushRequest
from server_sync.service.auth.service import Principal, load_user
from server_sync.service.sync.pull import pull, purge_tombstones
from server_sync.service.sync.push import apply_push, ensure_client


def test_pull_pages_in_change_order_and_is_scoped(world):
    ward = world.ward()
    desk = world.desk(world.user(Role.NURSE, (ward,)))
    _, start = desk.pull_all()
    charts = [make_chart(ward) for _ in range(6)]
    desk.push(*[record for chart in charts for record in chart.records])
    pages, cursor = [], start
    while True:
        page = desk.http.get("/sync/pull", params={"cursor": cursor, "limit": 5}).json()
        pages.append(page)
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    changes = [c for page in pages for c in page["changes"]]
    assert len(changes) == 24 and len(pages) == 5
    numbers = [c["change_no"] for c in changes]
    assert numbers == sorted(numbers) and len(set(numbers)) == 24
    assert all(page["server_epoch"] == desk.login["server_epoch"] for page in pages)
    assert {c["entity_id"] for c in changes if c["entity"] == "task"} == {chart.task.id for chart in charts}
    # Nothing new: an empty page at the same cursor.
    again = desk.http.get("/sync/pull", params={"cursor": cursor}).json()
    assert again["changes"] == [] and again["next_cursor"] == cursor and not again["has_more"]


def test_an_updated_record_moves_to_the_end_of_the_feed_once(world):
    ward = world.ward()
    desk = world.desk(world.user(Role.NURSE, (ward,)))
    chart = make_chart(ward)
    desk.push(*chart.records)
    import dataclasses

    desk.push(dataclasses.replace(chart.patient, phone="13811112222"), base_version=1)
    changes, _ = desk.pull_all()
    mine = [c for c in changes if c["entity_id"] == chart.patient.id]
    assert len(mine) == 1 and mine[0]["server_version"] == 2 and mine[0]["payload"]["phone"] == "13811112222"


def _principal(database, username: str) -> Principal:
    with database.session() as db_session:
        user = load_user(db_session=db_session, username=username)
    return Principal(user=user, session_id="test", device_id="PC-test")


def test_pull_between_overlapping_commits_skips_nothing(world):
    """Two writers on two connections; the one that started second tries to commit first."""
    ward = world.ward()
    nurse_1, nurse_2 = world.user(Role.NURSE, (ward,), "a"), world.user(Role.NURSE, (ward,), "b")
    reader = world.desk(world.user(Role.NURSE, (ward,), "r"))
    _, cursor = reader.pull_all()
    database, now = world.database, utc_now()
    principals = [_principal(database, nurse_1), _principal(database, nurse_2)]
    patients = [make_chart(ward).patient, make_chart(ward).patient]
    desks = [world.desk(nurse_1), world.desk(nurse_2)]
    requests = [
        PushRequest(client_id=desk.client_id, mutations=[desk.mutation(patient)])
        for desk, patient in zip(desks, patients, strict=True)
    ]
    for principal, request in zip(principals, requests, strict=True):
        database.run_write(
            lambda s, p=principal, r=request: ensure_client(
                db_session=s, client_id=r.client_id, principal=p, now=now
            )
        )
    first = database.write_session()
    first.begin()
    apply_push(db_session=first, principal=principals[0], request=requests[0], now=now)  # holds the counter
    second_done = threading.Event()

    def second_writer() -> None:
        with database.write_session() as second, second.begin():
            apply_push(db_session=second, principal=principals[1], request=requests[1], now=now)
        second_done.set()  # committed

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.5)
    assert not second_done.is_set(), "the second writer must wait for the first one's change number"
    middle = reader.http.get("/sync/pull", params={"cursor": cursor}).json()
    assert middle["changes"] == [] and middle["next_cursor"] == cursor  # nothing committed yet
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert second_done.is_set()
    late = reader.http.get("/sync/pull", params={"cursor": middle["next_cursor"]}).json()
    seen = [c["entity_id"] for c in late["changes"] if c["entity"] == "patient"]
    assert seen == [patients[0].id, patients[1].id]  # both, in commit (= change number) order
    numbers = [c["change_no"] for c in late["changes"]]
    assert numbers == sorted(numbers)


def test_pull_with_a_reader_snapshot_never_skips(world):
    """The service function reads the counter first: a commit after that lands above next_cursor."""
    ward = world.ward()
    username = world.user(Role.NURSE, (ward,))
    desk = world.desk(username)
    user = _principal(world.database, username).user
    with world.database.session() as db_session:
        before = pull(db_session=db_session, user=user, cursor=0, limit=10_000)
        desk.push(make_chart(ward).patient)  # commits while the reader's transaction is open
        page = pull(db_session=db_session, user=user, cursor=before.next_cursor, limit=10_000)
    after = desk.http.get("/sync/pull", params={"cursor": page.next_cursor}).json()
    patient_pages = [c for c in [*page.changes, *map(_as_obj, after["changes"])] if c.entity == "patient"]
    assert len(patient_pages) == 1


def _as_obj(change: dict):
    from server_sync.protocol import Change

    return Change(**change)


def test_cursor_before_purged_tombstones_is_410(world):
    ward = world.ward()
    manager = world.desk(world.user(Role.WARD_MANAGER, (ward,)))
    chart = make_chart(ward)
    manager.push(*chart.records)
    _, old_cursor = manager.pull_all()
    manager.push(chart.enrollment, op="delete")
    changes, _ = manager.pull_all(old_cursor)
    assert [c["op"] for c in changes if c["entity_id"] == chart.enrollment.id] == ["delete"]
    with world.database.transaction() as db_session:
        purged = purge_tombstones(db_session=db_session, now=utc_now() + timedelta(days=91), window_days=90)
    assert purged >= 1
    expired = manager.http.get("/sync/pull", params={"cursor": old_cursor})
    assert expired.status_code == 410 and expired.json()["code"] == "cursor_expired"
    fresh = manager.http.get("/sync/pull", params={"cursor": 0})  # a full download still works
    assert fresh.status_code == 200
    ahead = manager.http.get("/sync/pull", params={"cursor": 10**12})
    assert ahead.status_code == 410


def test_pull_with_another_epoch_is_409(world):
    desk = world.desk(world.user())
    response = desk.http.get(
        "/sync/pull", params={"cursor": 0, "epoch": "00000000-0000-0000-0000-000000000000"}
    )
    assert response.status_code == 409 and response.json()["code"] == "epoch_changed"
    same = desk.http.get("/sync/pull", params={"cursor": 0, "epoch": desk.login["server_epoch"]})
    assert same.status_code == 200
