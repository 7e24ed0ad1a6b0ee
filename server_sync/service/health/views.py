"""Liveness and readiness probes for load balancers and service managers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from server_sync.protocol import PROTOCOL_VERSION
from server_sync.service.core import meta
from server_sync.service.core.deps import DatabaseDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, object]:
    """The process is up (no database access)."""
    return {"status": "ok", "protocol_version": PROTOCOL_VERSION}


@router.get("/version")
def version(request: Request) -> dict[str, str]:
    """The desk app versions IT announces (also on every answer as ``X-Followup-Client-*`` headers)."""
    settings = request.app.state.settings
    return {
        "client_current_version": settings.client_current_version,
        "client_min_version": settings.client_min_version,
    }


@router.get("/ready")
def ready(database: DatabaseDep) -> JSONResponse:
    """The database answers and is migrated: 200, else 503."""
    try:
        with database.session() as db_session:
            db_session.execute(text("SELECT 1"))
            epoch = meta.server_epoch(db_session=db_session)
    except Exception as error:  # any failure means "not ready"; the reason is in the body
        return JSONResponse({"status": "unavailable", "reason": type(error).__name__}, status_code=503)
    return JSONResponse({"status": "ready", "server_epoch": epoch})
