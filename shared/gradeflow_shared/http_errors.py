"""One JSON error shape for every service's HTTP API, and the table from exceptions to statuses.

Body: {"error": code, "message": text, "fields": [{"field": "source", "message": ...}]}.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from gradeflow_shared.errors import Conflict, Forbidden, NotFound, Unauthenticated, Unavailable

log = logging.getLogger(__name__)

# A dependency that really cannot be reached: the request is refused whole (nothing was
# committed) and may be retried. Any other error — an OSError such as FileNotFoundError included —
# is a bug: 500, logged with its traceback.
UNAVAILABLE: tuple[type[Exception], ...] = (
    Unavailable,
    OperationalError,
    InterfaceError,
    PoolTimeout,
    ConnectionError,
)


# The errors every API answers the same way; a service's table adds its own.
BASE_TABLE: dict[type[Exception], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    Forbidden: (403, "forbidden"),
    Unauthenticated: (401, "unauthenticated"),
    Conflict: (409, "conflict"),
}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _methods_of(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and isinstance(route, APIRoute | Route):
            methods |= route.methods or set()
    return sorted(methods)


def error_body(code: str, message: str, fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "fields": fields or []}


def install_error_handlers(app: FastAPI, table: dict[type[Exception], tuple[int, str]]) -> None:
    """`table` maps a service's own errors (with `.message` and `.field`) to (status, code), beside
    BASE_TABLE's (a subclass is answered as its nearest class in either)."""
    table = {**BASE_TABLE, **table}

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(
                error_body(
                    "malformed_json",
                    "the body is not valid JSON",
                    [{"field": "body", "message": str(errors[0].get("msg"))}],
                ),
                status_code=400,
            )
        fields = [{"field": _field(tuple(e["loc"])), "message": str(e["msg"])} for e in errors]
        names = ", ".join(f["field"] for f in fields)
        return JSONResponse(
            error_body("validation_failed", f"invalid fields: {names}", fields), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """The framework's own refusals (no such path, a method the path does not take, a body
        that cannot be read) in the same shape as every other error."""
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method the path takes, not only one route's
            headers["Allow"] = ", ".join(_methods_of(request))
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers)

    for cls, (status, code) in table.items():

        async def _mapped(_: Request, exc: Exception, status: int = status, code: str = code) -> JSONResponse:
            field = getattr(exc, "field", None)
            message = getattr(exc, "message", str(exc))
            # An error about many inputs (a roster's lines) lists each; otherwise its one field.
            fields = getattr(exc, "fields", None) or ([{"field": field, "message": message}] if field else [])
            retry = {"Retry-After": "1"} if status == 503 else None  # a bound reached: soon again
            return JSONResponse(error_body(code, message, fields), status_code=status, headers=retry)

        app.add_exception_handler(cls, _mapped)

    async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.warning("dependency unavailable: %r", exc)
        return JSONResponse(
            error_body("unavailable", "a dependency is unavailable; retry shortly"),
            status_code=503,
            headers={"Retry-After": "2"},
        )

    for cls in UNAVAILABLE:
        app.add_exception_handler(cls, _unavailable)

    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal", "internal error"), status_code=500)

    async def _db_error(request: Request, exc: Exception) -> JSONResponse:
        orig = getattr(exc, "orig", None)
        if (isinstance(exc, DBAPIError) and exc.connection_invalidated) or isinstance(orig, ConnectionError):
            return await _unavailable(request, exc)
        return await _internal(request, exc)

    app.add_exception_handler(DBAPIError, _db_error)
    app.add_exception_handler(Exception, _internal)
