"""HTTP routes of sync: push, pull, sync issues."""

from __future__ import annotations

import email.message
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select

from nurse_app.domain.model import AuditAction, Role, utc_now
from server_sync.protocol import PullResponse, PushRequest, PushResponse, SyncIssue, SyncIssueList
from server_sync.service.audit import service as audit_service
from server_sync.service.core import meta
from server_sync.service.core.deps import MAX_DB_INT, CurrentUser, DatabaseDep, SessionDep, SettingsDep
from server_sync.service.core.errors import ServiceError
from server_sync.service.core.replies import json_reply
from server_sync.service.sync import pull as pull_service
from server_sync.service.sync import push as push_service
from server_sync.service.sync.models import SyncIssueRow

router = APIRouter(prefix="/sync", tags=["sync"])


# --- the push body ---------------------------------------------------------------------------------
#
# A push carries up to 500 mutations. FastAPI would parse the body with ``json.loads`` and then
# validate the Python objects (``from_attributes``), several times the cost of letting pydantic
# validate the raw JSON bytes in one pass. So the body is read by the dependency below: a JSON body
# that validates takes the one-pass route; anything else (bad JSON, wrong content type, an invalid
# batch) goes FastAPI's own way, with the same errors at the same moments: undecodable JSON at once
# (before authentication), validation errors after the other dependencies, as ``body.…`` locations.

_PUSH_ADAPTER = TypeAdapter(PushRequest)


@dataclass(frozen=True, slots=True)
class _PushBody:
    request: PushRequest | None
    errors: list[dict[str, Any]]
    raw: Any = None


def _is_json(content_type: str | None) -> bool:
    # FastAPI's test (strict content type): application/json or application/*+json.
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _push_body_standard(body: bytes, is_json: bool) -> _PushBody:
    """What FastAPI does with a ``PushRequest`` body parameter (used when the fast route fails)."""
    value: Any = None
    if body:
        if is_json:
            try:
                value = json.loads(body)
            except json.JSONDecodeError as error:
                raise RequestValidationError(
                    [
                        {
                            "type": "json_invalid",
                            "loc": ("body", error.pos),
                            "msg": "JSON decode error",
                            "input": {},
                            "ctx": {"error": error.msg},
                        }
                    ],
                    body=error.doc,
                ) from error
            except Exception as error:
                raise HTTPException(status_code=400, detail="There was an error parsing the body") from error
        else:
            value = body
    if value is None and not body:
        missing = {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
        return _PushBody(None, [missing])
    try:
        return _PushBody(_PUSH_ADAPTER.validate_python(value, from_attributes=True), [], value)
    except ValidationError as error:
        errors = [{**e, "loc": ("body", *e.get("loc", ()))} for e in error.errors(include_url=False)]
        return _PushBody(None, errors, value)


async def push_body(request: Request) -> _PushBody:
    body = await request.body()
    is_json = _is_json(request.headers.get("content-type"))
    if body and is_json:
        try:
            return _PushBody(PushRequest.model_validate_json(body), [])
        except ValidationError:
            pass  # reported exactly as FastAPI reports it
    return _push_body_standard(body, is_json)


def _inline_refs(schema: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {k: _inline_refs(v, definitions) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline_refs(item, definitions) for item in schema]
    return schema


def _push_request_schema() -> dict[str, Any]:
    schema = PushRequest.model_json_schema()
    return _inline_refs(schema, schema.get("$defs", {}))


PushBody = Annotated[_PushBody, Depends(push_body)]


@router.post(
    "/push",
    response_model=PushResponse,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": _push_request_schema()}},
            "required": True,
        }
    },
)
def push(
    parsed: PushBody, request: Request, principal: CurrentUser, database: DatabaseDep, settings: SettingsDep
):
    """Apply an outbox batch; see ``PushResponse`` for per-mutation results. 409 ``seq_gap`` on a hole."""
    if parsed.errors:
        raise RequestValidationError(parsed.errors, body=parsed.raw)
    body = parsed.request
    assert body is not None
    size = int(request.headers.get("content-length") or 0)
    if size > settings.max_push_bytes:
        raise ServiceError(
            413, "payload_too_large", f"a push may carry at most {settings.max_push_bytes} bytes"
        )
    answer = push_service.push(database=database, principal=principal, request=body, now=utc_now())
    return json_reply(answer)


@router.get("/pull", response_model=PullResponse)
def pull(
    principal: CurrentUser,
    database: DatabaseDep,
    db_session: SessionDep,
    settings: SettingsDep,
    cursor: Annotated[int, Query(ge=0, le=MAX_DB_INT)] = 0,
    limit: Annotated[int | None, Query(ge=1)] = None,
    epoch: str | None = None,
):
    """Changes after ``cursor`` in the caller's wards; 410 ``cursor_expired``, 409 ``epoch_changed``."""
    page_size = min(limit or settings.pull_default_limit, settings.pull_max_limit)
    page = pull_service.pull(
        db_session=db_session, user=principal.user, cursor=cursor, limit=page_size, epoch=epoch
    )
    db_session.rollback()  # end the read snapshot before the audit write
    patient_ids = [c.entity_id for c in page.changes if c.entity == "patient" and c.op == "upsert"]
    if patient_ids:
        now = utc_now()
        database.run_write(
            lambda s: audit_service.record(
                db_session=s,
                actor=principal.user.username,
                action=AuditAction.READ,
                entity="patient",
                entity_ids=patient_ids,
                device=principal.device_id,
                at=now,
                detail="sync pull",
            )
        )
    return json_reply(page)


@router.get("/issues", response_model=SyncIssueList)
def issues(
    principal: CurrentUser,
    db_session: SessionDep,
    client_id: str | None = None,
    limit: Annotated[int, Query(ge=1)] = 500,
) -> Response:
    """Rejected and conflicting mutations of this client (and, for non-admins, this user)."""
    query = select(SyncIssueRow)
    if client_id is not None:
        query = query.where(SyncIssueRow.client_id == client_id)
    if principal.user.role is not Role.ADMIN:
        query = query.where(SyncIssueRow.username == principal.user.username)
    rows = db_session.scalars(
        query.order_by(SyncIssueRow.created_at, SyncIssueRow.seq).limit(min(limit, 2000))
    )
    items = [
        SyncIssue(
            id=row.id,
            client_id=row.client_id,
            username=row.username,
            mutation_id=row.mutation_id,
            seq=row.seq,
            entity=row.entity,
            entity_id=row.entity_id,
            kind=row.kind,  # type: ignore[arg-type]
            reason=row.reason,
            created_at=row.created_at,
        )
        for row in rows
    ]
    return json_reply(SyncIssueList(server_epoch=meta.server_epoch(db_session=db_session), issues=items))
