"""Login, lockout, disabled accounts, token expiry, refresh rotation and revocation, over HTTP."""

from __future__ import annotations

from datetime import timedelta

from service_helpers import PASSWORD, TEST_SECRET
from sqlalchemy import update

from nurse_app.domain.model import Role, utc_now
from server_sync.service.auth.models import UserRow
from server_sync.service.auth.tokens import issue_access_token


def test_login_returns_tokens_user_and_epoch(world):
    ward = world.ward()
    username = world.user(Role.NURSE, (ward,))
    response = world.login_response(username)
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {"username": username, "display_name": "护士u", "role": "nurse", "wards": [ward]}
    assert body["expires_in"] == 15 * 60 and body["access_token"] and body["refresh_token"]
    assert len(body["server_epoch"]) == 36
    me = world.http(body["access_token"]).get("/auth/me")
    assert me.status_code == 200 and me.json()["username"] == username


def test_wrong_password_and_unknown_user_are_indistinguishable(world):
    username = world.user()
    wrong = world.login_response(username, password="not-the-password")
    unknown = world.login_response("nobody-" + world.tag, password="not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"
    assert wrong.json()["message"] == unknown.json()["message"]


def test_five_failures_lock_the_account_for_fifteen_minutes(world):
    username = world.user()
    for _ in range(5):
        assert world.login_response(username, password="wrong-password").status_code == 401
    locked = world.login_response(username)  # even the right password is refused while locked
    assert locked.status_code == 423
    assert locked.json()["code"] == "account_locked" and "15 min" in locked.json()["message"]
    with world.database.transaction() as db_session:  # fifteen minutes pass
        db_session.execute(
            update(UserRow)
            .where(UserRow.username == username)
            .values(locked_until=utc_now() - timedelta(seconds=1))
        )
    assert world.login_response(username).status_code == 200


def test_success_resets_the_failure_count(world):
    username = world.user()
    for _ in range(4):
        world.login_response(username, password="wrong-password")
    assert world.login_response(username).status_code == 200
    for _ in range(4):
        world.login_response(username, password="wrong-password")
    assert world.login_response(username).status_code == 200


def test_disabled_user_cannot_log_in_and_existing_tokens_stop(world):
    admin = world.desk(world.user(Role.ADMIN))
    username = world.user()
    desk = world.desk(username)
    assert admin.http.post(f"/admin/users/{username}/disable").status_code == 204
    refused = world.login_response(username)
    assert refused.status_code == 403 and refused.json()["code"] == "account_disabled"
    assert desk.http.get("/auth/me").status_code in (401, 403)
    refresh = world.http().post("/auth/refresh", json={"refresh_token": desk.login["refresh_token"]})
    assert refresh.status_code in (401, 403)


def test_expired_and_forged_access_tokens_are_refused(world):
    username = world.user()
    desk = world.desk(username)
    session_token = desk.login["access_token"]
    assert desk.http.get("/auth/me").status_code == 200
    # A token minted 16 minutes ago with the 15-minute lifetime: expired.
    from server_sync.service.auth.tokens import read_access_token

    claims = read_access_token(secret=TEST_SECRET, token=session_token, now=utc_now())
    stale = issue_access_token(
        secret=TEST_SECRET,
        username=username,
        session_id=claims.session_id,
        device_id=claims.device_id,
        now=utc_now() - timedelta(minutes=16),
        lifetime=timedelta(minutes=15),
    )
    expired = world.http(stale).get("/auth/me")
    assert expired.status_code == 401 and expired.json()["code"] == "token_expired"
    forged = world.http(session_token[:-3] + "abc").get("/auth/me")
    assert forged.status_code == 401 and forged.json()["code"] == "token_invalid"
    assert world.http().get("/auth/me").status_code == 401


def test_refresh_rotates_and_a_replayed_token_ends_the_session(world):
    desk = world.desk(world.user())
    first_refresh = desk.login["refresh_token"]
    rotated = world.http().post("/auth/refresh", json={"refresh_token": first_refresh})
    assert rotated.status_code == 200
    pair = rotated.json()
    assert pair["refresh_token"] != first_refresh
    assert world.http(pair["access_token"]).get("/auth/me").status_code == 200
    # The old token again: treated as stolen, the whole session is revoked.
    replay = world.http().post("/auth/refresh", json={"refresh_token": first_refresh})
    assert replay.status_code == 401
    assert (
        world.http().post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    )
    assert world.http(pair["access_token"]).get("/auth/me").status_code == 401


def test_logout_revokes_access_and_refresh_tokens(world):
    desk = world.desk(world.user())
    other_device = world.desk(desk.username)  # a second session is untouched
    assert desk.http.post("/auth/logout").status_code == 204
    assert desk.http.get("/auth/me").status_code == 401
    assert (
        world.http().post("/auth/refresh", json={"refresh_token": desk.login["refresh_token"]}).status_code
        == 401
    )
    assert other_device.http.get("/auth/me").status_code == 200


def test_reset_password_clears_lockout(world):
    admin = world.desk(world.user(Role.ADMIN))
    username = world.user()
    for _ in range(5):
        world.login_response(username, password="wrong-password")
    assert world.login_response(username).status_code == 423
    new_password = "a-new-password-7"
    reset = admin.http.post(f"/admin/users/{username}/password", json={"password": new_password})
    assert reset.status_code == 204
    assert world.login_response(username, password=new_password).status_code == 200
    assert world.login_response(username, password=PASSWORD).status_code == 401
