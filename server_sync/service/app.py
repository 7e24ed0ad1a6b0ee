"""The ASGI application: routers, error handlers, protocol header, patient-data log filter."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from nurse_app import __version__
from server_sync.protocol import ErrorBody
from server_sync.service.alerts.views import router as alerts_router
from server_sync.service.audit.views import router as audit_router
from server_sync.service.auth.views import router as auth_router
from server_sync.service.config.views import router as config_router
from server_sync.service.core import meta
from server_sync.service.core.config import Settings, get_settings
from server_sync.service.core.db import Database, make_engine
from server_sync.service.core.errors import install_error_handlers
from server_sync.service.core.logging_filter import install_patient_data_filter
from server_sync.service.core.protocol_header import ProtocolHeaderMiddleware
from server_sync.service.health.views import router as health_router
from server_sync.service.intake.views import router as intake_router
from server_sync.service.notify.views import router as notify_router
from server_sync.service.records.views import router as records_router
from server_sync.service.reports.views import router as reports_router
from server_sync.service.sync.views import router as sync_router

_INVALID_REQUEST: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "Invalid request (code invalid_request)"}
}


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the service for ``settings`` (default: ``FOLLOWUP_*`` environment). Schema must be migrated."""
    settings = settings or get_settings()
    owns_database = database is None
    database = database or Database(make_engine(settings.database_url, settings))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        install_patient_data_filter()
        with database.transaction() as db_session:
            meta.ensure_defaults(db_session=db_session)
        yield
        if owns_database:
            database.dispose()

    app = FastAPI(
        title="Follow-up Nurse Station central service (随访护士站)",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.token_secret = None
    app.add_middleware(ProtocolHeaderMiddleware)
    install_error_handlers(app)
    for router in (
        health_router,
        auth_router,
        sync_router,
        config_router,
        records_router,
        audit_router,
        intake_router,
        alerts_router,
        notify_router,
        reports_router,
    ):
        # Validation failures answer ErrorBody (core.errors), not FastAPI's default HTTPValidationError.
        app.include_router(router, responses=None if router is health_router else _INVALID_REQUEST)
    return app


def create_app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory`` (one app per worker process)."""
    return create_app()
