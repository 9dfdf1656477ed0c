"""A Judge0-compatible API under /judge0, so existing Judge0 clients work unchanged: submissions
(single and batch, `base64_encoded`, `wait`, `fields`), languages and statuses. A submission here is
an ad-hoc run (usecases/runs.py); the token is the run's id. Judge0's X-Auth-Token header carries
the same token as our Bearer header. Fields beyond those below are refused by name (422), never
silently ignored. docs/grading.md lists what is and is not supported."""

import base64
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway import schemas as s
from gateway.domain import archives, judge0
from gateway.domain.errors import GatewayError, NotFound
from gateway.handlers.http.deps import Ctx, caller_of, edge_of
from gateway.usecases import runs
from gradeflow_shared import program_args
from gradeflow_shared.events import RunFile
from gradeflow_shared.openapi import errors

router = APIRouter(prefix="/judge0", tags=["judge0"])
WAIT_SECONDS = 20.0
_bearer = HTTPBearer(auto_error=False, description="A user's token (JWT), or an API key")
_auth_token = APIKeyHeader(
    name="X-Auth-Token", auto_error=False, description="Judge0's header: a token or an API key"
)


async def judge0_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    x_auth_token: Annotated[str | None, Depends(_auth_token)],
) -> UUID:
    """Judge0's X-Auth-Token (or a bearer token): a user's token, or an API key — what an
    integration configures once."""
    return await caller_of(request, credentials.credentials if credentials else x_auth_token)


User = Annotated[UUID, Depends(judge0_user)]
Base64 = Annotated[bool, Query()]


class SubmissionIn(BaseModel):
    """Judge0's submission body; its limits in Judge0's names and units, bounded as ours are."""

    # A multi-file program (89) is its additional_files; any other program, its source_code.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"properties": {"language_id": {"const": judge0.MULTI_FILE}}, "required": ["language_id"]},
            "then": {"required": ["additional_files"]},
            "else": {"properties": {"source_code": {"minLength": 1}}},
        },
    )

    source_code: str = Field(
        default="", json_schema_extra=s.NO_NUL, description="Not used by the multi-file language (89)"
    )
    language_id: int = Field(json_schema_extra=s.one_of(judge0.LANGUAGES))
    stdin: str | None = Field(default=None, json_schema_extra=s.NO_NUL)
    expected_output: str | None = Field(default=None, json_schema_extra=s.NO_NUL)
    cpu_time_limit: float = judge0.limit_field("time_limit_ms")  # seconds
    wall_time_limit: float | None = judge0.limit_field("wall_limit_ms")  # seconds
    memory_limit: int = judge0.limit_field("memory_limit_mb")  # KB
    stack_limit: int = judge0.limit_field("stack_limit_mb")  # KB
    max_processes_and_or_threads: int = judge0.limit_field("max_processes")
    max_file_size: int = judge0.limit_field("max_file_kb")  # KB
    cpu_extra_time: float = Field(
        default=0.0,
        ge=0.0,
        le=judge0.MAX_CPU_EXTRA_SECONDS,
        description="CPU time past the limit before the program is killed (still a Time Limit Exceeded)",
    )
    number_of_runs: int = Field(
        default=1, ge=1, le=judge0.MAX_RUNS, description="Runs of the program; time and memory their average"
    )
    redirect_stderr_to_stdout: bool = False
    # Judge0's options this system does not offer: taken at the one value it runs with, any other
    # refused by name (422) — never accepted and silently ignored. /config_info says the same.
    # Limits apply to the whole sandbox, never per process (per-process ones would let a program
    # spread its work over many).
    enable_network: Literal[False] = False
    enable_per_process_and_thread_time_limit: Literal[False] = False
    enable_per_process_and_thread_memory_limit: Literal[False] = False
    additional_files: str | None = Field(
        default=None,
        max_length=12 * 1024 * 1024,
        description="A zip, base64: its files written beside the program (plain names; no links)",
    )
    callback_url: str | None = Field(
        default=None,
        max_length=2048,
        pattern=r"^https?://[^/?#\s]+",
        description="The result is PUT here once done (retried); private addresses are refused",
    )
    compiler_options: str | None = Field(
        default=None, max_length=1024, description="C and C++ only, from an allow-list (/config_info)"
    )
    command_line_arguments: str | None = Field(default=None, max_length=8192)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    submissions: list[SubmissionIn] = Field(min_length=1, max_length=judge0.MAX_BATCH)


@router.get("/languages")
async def list_languages() -> list[dict[str, Any]]:
    return [{"id": i, "name": language.name} for i, language in sorted(judge0.LANGUAGES.items())]


@router.get("/statuses")
async def list_statuses() -> list[dict[str, Any]]:
    return [{"id": i, "description": d} for i, d in judge0.STATUSES.items()]


@router.post("/submissions", status_code=status.HTTP_201_CREATED)
async def create_submission(
    body: SubmissionIn,
    request: Request,
    ctx: Ctx,
    user: User,
    base64_encoded: Base64 = False,
    wait: Annotated[bool, Query()] = False,
    fields: str | None = None,
) -> dict[str, Any]:
    callback = await _callback(request, body, base64_encoded, "body")
    [accepted] = await runs.request_runs(ctx, user, [_run_in(body, base64_encoded, "body")], [callback])
    if not wait:
        return {"token": str(accepted.id)}
    run = await runs.await_done(ctx, user, accepted.id, WAIT_SECONDS)
    return judge0.render(run, base64_encoded, fields)


@router.post("/submissions/batch", status_code=status.HTTP_201_CREATED)
async def create_batch(
    body: BatchIn, request: Request, ctx: Ctx, user: User, base64_encoded: Base64 = False
) -> list[dict[str, str]]:
    commands = [_run_in(sub, base64_encoded, f"submissions.{i}") for i, sub in enumerate(body.submissions)]
    callbacks = [
        await _callback(request, sub, base64_encoded, f"submissions.{i}")
        for i, sub in enumerate(body.submissions)
    ]
    return [{"token": str(a.id)} for a in await runs.request_runs(ctx, user, commands, callbacks)]


async def _callback(
    request: Request, body: SubmissionIn, encoded: bool, where: str
) -> tuple[str, bool] | None:
    """The callback a submission asks for, its target checked now (and again before each call)."""
    if body.callback_url is None:
        return None
    guard = edge_of(request).callback_guard
    refused = await guard.refusal(body.callback_url)
    if refused:
        raise GatewayError(refused, field=f"{where}.callback_url")
    return body.callback_url, encoded


@router.get("/submissions/batch", responses=errors(404))
async def get_batch(
    tokens: Annotated[str, Query(pattern=f"^[^,]+(,[^,]+){{0,{judge0.MAX_BATCH - 1}}}$")],
    ctx: Ctx,
    user: User,
    base64_encoded: Base64 = False,
    fields: str | None = None,
) -> dict[str, list[dict[str, Any]]]:
    ids = [_token(t) for t in tokens.split(",") if t]
    if not 1 <= len(ids) <= judge0.MAX_BATCH:
        raise GatewayError(f"between 1 and {judge0.MAX_BATCH} tokens", field="tokens")
    found = await runs.view_runs(ctx, user, ids)
    return {"submissions": [judge0.render(run, base64_encoded, fields) for run in found]}


@router.get("/submissions")
async def list_submissions(
    ctx: Ctx,
    user: User,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    base64_encoded: Base64 = False,
    fields: str | None = None,
) -> dict[str, Any]:
    """The caller's submissions, newest first, by numbered pages (Judge0's `meta`)."""
    total, found = await runs.my_runs(ctx, user, page, per_page)
    pages = max(1, -(-total // per_page))
    return {
        "submissions": [judge0.render(run, base64_encoded, fields) for run in found],
        "meta": {
            "current_page": page,
            "next_page": page + 1 if page < pages else None,
            "prev_page": page - 1 if page > 1 else None,
            "total_pages": pages,
            "total_count": total,
        },
    }


@router.delete("/submissions/{token}", responses=errors(404, 409))
async def delete_submission(
    token: str, ctx: Ctx, user: User, base64_encoded: Base64 = False, fields: str | None = None
) -> dict[str, Any]:
    """A finished submission of the caller's, deleted; answered as it was."""
    return judge0.render(await runs.delete_run(ctx, user, _token(token)), base64_encoded, fields)


@router.get("/submissions/{token}")
async def get_submission(
    token: str, ctx: Ctx, user: User, base64_encoded: Base64 = False, fields: str | None = None
) -> dict[str, Any]:
    return judge0.render(await runs.view_run(ctx, user, _token(token)), base64_encoded, fields)


def _token(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound("submission not found", field="token") from None


# A run's fields by their Judge0 names, for errors that name the field the client sent.
JUDGE0_NAMES = {
    "source": "source_code",
    "merge_stderr": "redirect_stderr_to_stdout",
    "runs": "number_of_runs",
    "cpu_extra_ms": "cpu_extra_time",
    "expected_stdout": "expected_output",
    "files": "additional_files",
    "args": "command_line_arguments",
    "compile_options": "compiler_options",
    **{name: limit.field for name, limit in judge0.LIMITS.items()},
}


def _run_in(body: SubmissionIn, encoded: bool, where: str) -> s.RunIn:
    if body.language_id not in judge0.LANGUAGES:
        raise GatewayError(f"language with id {body.language_id} doesn't exist", field=f"{where}.language_id")
    try:
        return _translate(body, encoded, where)
    except ValidationError as error:  # a value valid for Judge0's field but not once translated
        first = error.errors()[0]
        ours = str(first["loc"][0]) if first["loc"] else "source"
        raise GatewayError(first["msg"], field=f"{where}.{JUDGE0_NAMES.get(ours, ours)}") from None


def _translate(body: SubmissionIn, encoded: bool, where: str) -> s.RunIn:
    limits = {name: limit.from_judge0(getattr(body, limit.field)) for name, limit in judge0.LIMITS.items()}
    cpu = body.number_of_runs * (body.cpu_time_limit + body.cpu_extra_time)
    if cpu > judge0.MAX_TOTAL_CPU_SECONDS:
        raise GatewayError(
            f"number_of_runs x (cpu_time_limit + cpu_extra_time) is {cpu:g} s, over "
            f"{judge0.MAX_TOTAL_CPU_SECONDS:g} s",
            field=f"{where}.number_of_runs",
        )
    return s.Judge0RunIn(
        merge_stderr=body.redirect_stderr_to_stdout,
        runs=body.number_of_runs,
        cpu_extra_ms=round(body.cpu_extra_time * 1000),
        language=judge0.LANGUAGES[body.language_id].id,
        source=_decode(body.source_code, encoded, f"{where}.source_code"),
        stdin=_decode(body.stdin or "", encoded, f"{where}.stdin"),
        expected_stdout=None
        if body.expected_output is None
        else _decode(body.expected_output, encoded, f"{where}.expected_output"),
        files=_files(body.additional_files, f"{where}.additional_files"),
        args=_split(body.command_line_arguments, f"{where}.command_line_arguments"),
        compile_options=_split(body.compiler_options, f"{where}.compiler_options"),
        **limits,
    )


def _split(text: str | None, field: str) -> list[str]:
    try:
        return program_args.split(text or "")
    except ValueError as exc:  # an unclosed quote
        raise GatewayError(f"not a list of words: {exc}", field=field) from None


def _files(archive: str | None, field: str) -> list[RunFile]:
    """Judge0's additional_files (a base64 zip, whatever base64_encoded says) as the run's files."""
    if not archive:
        return []
    try:
        unpacked = archives.unpack(base64.b64decode(archive, validate=True))
    except archives.UnsafeArchive as exc:
        raise GatewayError(f"additional_files: {exc}", field=field) from None
    except ValueError:
        raise GatewayError("additional_files: not base64", field=field) from None
    return [RunFile(name=name, content_b64=base64.b64encode(content).decode()) for name, content in unpacked]


def _decode(value: str, encoded: bool, field: str) -> str:
    if not encoded:
        return value
    try:
        return base64.b64decode(value, validate=True).decode()
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text in the field
        raise GatewayError("not valid base64 of UTF-8 text", field=field) from None
