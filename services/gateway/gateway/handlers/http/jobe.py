"""A Jobe-compatible API under /jobe/index.php/restapi/ — the sandbox server behind Moodle's
CodeRunner — so a CodeRunner site points at this system unchanged (docs/jobe.md): `languages`,
`runs` (answered when the run is done, as Jobe does), `files/{id}` (PUT, HEAD). Paths with or
without a trailing slash, as Jobe's clients send both. Errors as Jobe gives them: a bad run_spec
is 400 with Jobe's message as the body, a file_list naming a file not kept here 404 (the client
uploads it and retries); a missing or wrong X-API-KEY is 401, one without the runs scope 403."""

import base64
import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from pydantic import ValidationError

from gateway.domain import jobe
from gateway.domain.errors import NotFound, TooLarge
from gateway.handlers.http.deps import Ctx, edge_of, read_limited
from gateway.usecases import jobe as jobe_runs
from gradeflow_shared.errors import Unauthenticated
from gradeflow_shared.openapi import errors

PREFIX = "/jobe/index.php/restapi"
F = TypeVar("F", bound=Callable[..., Any])
router = APIRouter(tags=["jobe"])
_key = APIKeyHeader(name="X-API-KEY", auto_error=False, description="An API key with the runs scope")
MAX_RUN_SPEC_BYTES = 16 * 1024 * 1024


# Jobe's own error bodies: the message as a JSON string (documented so in the schema).
_JOBE_TEXT: dict[int | str, dict[str, Any]] = {
    code: {"description": what, "content": {"application/json": {"schema": {"type": "string"}}}}
    for code, what in (
        (400, "A bad run_spec: Jobe's message"),
        (404, "A file_list names a file not kept here"),
    )
}
_PUT_TEXT: dict[int | str, dict[str, Any]] = {
    code: {"description": what, "content": {"application/json": {"schema": {"type": "string"}}}}
    for code, what in (
        (400, "No file_contents, or not base64"),
        (413, "The file is over JOBE_MAX_FILE_BYTES"),
    )
}


def _jobe_error(status: int, message: str) -> JSONResponse:
    return JSONResponse(message, status_code=status)  # Jobe's body: the message, as a JSON string


async def jobe_user(request: Request, key: Annotated[str | None, Depends(_key)]) -> UUID:
    """A missing or unknown key is 401; a key without the runs scope 403."""
    checker = edge_of(request).api_keys
    try:
        return await checker.user_for(key or "", "runs")
    except Unauthenticated as exc:
        raise Unauthenticated(f"Unauthorised: {exc.message} (X-API-KEY)") from None


JobeUser = Annotated[UUID, Depends(jobe_user)]


def _routes(path: str, method: str, **kwargs: Any) -> Callable[[F], F]:
    """Register the endpoint at `path` and `path/`."""

    def register(endpoint: F) -> F:
        for p in (f"{PREFIX}/{path}", f"{PREFIX}/{path}/"):
            router.add_api_route(
                p, endpoint, methods=[method], include_in_schema=not p.endswith("/"), **kwargs
            )
        return endpoint

    return register


@_routes("languages", "GET")
async def languages() -> list[list[str]]:
    """`[[name, version], ...]`"""
    return [[name, version] for name, (_, version) in sorted(jobe.LANGUAGES.items())]


@_routes(
    "runs",
    "POST",
    responses=_JOBE_TEXT,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["run_spec"],
                        "properties": {
                            "run_spec": {"type": "object", "required": ["language_id", "sourcecode"]}
                        },
                    }
                }
            },
        }
    },
)
async def post_run(request: Request, ctx: Ctx, user: JobeUser) -> Response:
    """Body `{"run_spec": {language_id, sourcecode, sourcefilename?, input?, file_list?,
    parameters?, debug?}}`; answered `{run_id, outcome, cmpinfo, stdout, stderr}` once run."""
    raw = await read_limited(request, MAX_RUN_SPEC_BYTES)
    try:
        spec = jobe.parse_run_spec(raw)
        result = await jobe_runs.run(ctx, user, spec, edge_of(request).jobe_wait_seconds)
    except jobe.BadRunSpec as exc:
        return _jobe_error(400, str(exc))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "run_spec"
        return _jobe_error(400, f"Invalid run_spec: {where}: {first['msg']}")
    except jobe_runs.MissingFiles as exc:
        return _jobe_error(404, exc.message)
    return JSONResponse(result)


@_routes("files/{file_id}", "PUT", status_code=204, responses=_PUT_TEXT)
async def put_file(file_id: str, request: Request, ctx: Ctx, user: JobeUser) -> Response:
    """Body `{"file_contents": base64}`: kept by `file_id` (JOBE_FILE_TTL_SECONDS)."""
    if not jobe.FILE_ID.fullmatch(file_id):
        return _jobe_error(400, "put: the file id must be 8 to 100 letters and digits")
    limit = edge_of(request).jobe_max_file_bytes
    raw = await read_limited(request, limit * 4 // 3 + 4096)
    try:
        body = json.loads(raw)
        contents = base64.b64decode(body["file_contents"], validate=True)
    except (ValueError, KeyError, TypeError):
        return _jobe_error(400, f"put: contents of file {file_id} are missing or not valid base-64")
    if len(contents) > limit:
        return _jobe_error(413, f"put: file {file_id} is over {limit} bytes")
    try:
        await jobe_runs.put_file(ctx, user, file_id, contents, edge_of(request).jobe_file_ttl_seconds)
    except TooLarge as exc:
        return _jobe_error(413, f"put: {exc.message}")
    return Response(status_code=204)


@_routes("files/{file_id}", "HEAD", status_code=204, responses=errors(404))
async def head_file(file_id: str, ctx: Ctx, user: JobeUser) -> Response:
    if not jobe.FILE_ID.fullmatch(file_id) or not await jobe_runs.has_file(ctx, user, file_id):
        raise NotFound(f"file {file_id} not found", field="file_id")
    return Response(status_code=204)
