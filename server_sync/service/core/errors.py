"""Service errors carried as ``ErrorBody`` JSON, and the handlers that render them."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server_sync.protocol import ErrorBody

log = logging.getLogger("followup.service")


class ServiceError(Exception):
    """A refusal the client can act on: HTTP status + machine-readable code + human message."""

    def __init__(self, status_code: int, code: str, message: str, *, expected_seq: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.expected_seq = expected_seq

    def body(self) -> dict:
        return ErrorBody(code=self.code, message=self.message, expected_seq=self.expected_seq).model_dump(
            exclude_none=True
        )


def not_found(what: str) -> ServiceError:
    return ServiceError(404, "not_found", f"{what} not found")


def forbidden(message: str = "not allowed for your role or wards") -> ServiceError:
    return ServiceError(403, "forbidden", message)


def install_error_handlers(app: FastAPI) -> None:
    """Render every refusal as ErrorBody; 5xx only for faults worth retrying."""

    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, error: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
        return JSONResponse(error.body(), status_code=error.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        # Field locations only: validation messages may echo input values (patient data).
        where = "; ".join(
            ".".join(str(part) for part in item.get("loc", ())) + ": " + str(item.get("type", ""))
            for item in error.errors()[:5]
        )
        body = ErrorBody(code="invalid_request", message=f"invalid request ({where})")
        return JSONResponse(body.model_dump(exclude_none=True), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "invalid_request", 401: "token_invalid"}.get(
            error.status_code, "invalid_request"
        )
        body = ErrorBody(code=code, message=str(error.detail))
        return JSONResponse(body.model_dump(exclude_none=True), status_code=error.status_code)

    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, error: DBAPIError) -> JSONResponse:
        log.warning("database unavailable: %s", type(error.orig).__name__)
        body = ErrorBody(code="unavailable", message="the database is busy or unreachable; retry later")
        return JSONResponse(body.model_dump(exclude_none=True), status_code=503)
