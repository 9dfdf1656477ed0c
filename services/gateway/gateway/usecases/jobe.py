"""Jobe's API on this system's queue and grader: a run waits for its result (Jobe answers
synchronously) within a bound, past which — or when the runs' queue is full — it is Jobe's outcome
21 (server overload), never a hung request; files are kept by the client's id for file_list, each
key's user's apart (MAX_FILES and MAX_FILES_BYTES each), seen by nobody else."""

import base64
from typing import Any
from uuid import UUID

from gateway import schemas as s
from gateway.domain import jobe
from gateway.domain.errors import NotFound, Overloaded, TooLarge
from gateway.usecases import runs
from gateway.usecases.ports import Context
from gradeflow_shared.events import RunFile

MAX_FILES = 1000  # a user's kept files at once
MAX_FILES_BYTES = 256 * 1024 * 1024  # and their bytes


class MissingFiles(NotFound):
    """Jobe's 404 for a file_list naming a file not kept here: the client uploads it and retries."""


async def run(ctx: Context, user_id: UUID, spec: dict[str, Any], wait_seconds: float) -> dict[str, Any]:
    if spec["sourcecode"] == jobe.OVERLOAD_TEST:
        return _result(None, jobe.SERVER_OVERLOAD)
    language, _ = jobe.LANGUAGES[spec["language_id"]]
    wanted = [(f[0], f[1]) for f in spec.get("file_list", [])]
    files: dict[str, bytes] = {}
    if wanted:
        async with ctx.units() as uow:
            files = await uow.repos.files.files(user_id, [file_id for file_id, _ in wanted])
        if len(files) < len({file_id for file_id, _ in wanted}):
            raise MissingFiles("One or more of the specified files is missing/unavailable")
    parameters = spec.get("parameters") or {}
    cmd = s.JobeRunIn(
        language=language,
        source=spec["sourcecode"],
        source_name=spec.get("sourcefilename") or None,
        stdin=spec.get("input") or "",
        files=[RunFile(name=name, content_b64=base64.b64encode(files[fid]).decode()) for fid, name in wanted],
        **jobe.limits(spec["language_id"], parameters),
        **jobe.arguments(spec["language_id"], parameters),
    )
    try:
        accepted = await runs.request_run(ctx, user_id, cmd)
    except Overloaded:
        return _result(None, jobe.SERVER_OVERLOAD, stderr="the queue of runs is full; retry shortly")
    done = await runs.await_done(ctx, user_id, accepted.id, wait_seconds)
    if done.status != "done":
        return _result(accepted.id, jobe.SERVER_OVERLOAD, stderr=f"no result within {wait_seconds:g} s")
    return _result(done.id, jobe.outcome(done.verdict, done.signal, done.stderr), done)


def _result(
    run_id: UUID | None, outcome: int, done: s.RunOut | None = None, stderr: str = ""
) -> dict[str, Any]:
    """Jobe's result object: output that is not UTF-8 escaped byte by byte as Jobe does; stderr
    empty after a time limit, as Jobe clears runguard's message."""
    stdout = _text(done.stdout, done.stdout_bytes_b64) if done else ""
    cmpinfo = (done.compile_output or "") if done and outcome == jobe.COMPILATION_ERROR else ""
    errors = _text(done.stderr, done.stderr_bytes_b64) if done else stderr
    if outcome == jobe.TIME_LIMIT:
        errors = ""
    return {
        "run_id": str(run_id) if run_id else None,
        "outcome": outcome,
        "cmpinfo": cmpinfo,
        "stdout": stdout,
        "stderr": errors,
    }


def _text(text: str | None, raw_b64: str | None) -> str:
    return jobe.clean(base64.b64decode(raw_b64)) if raw_b64 else (text or "")


async def put_file(ctx: Context, user_id: UUID, file_id: str, content: bytes, ttl_seconds: float) -> None:
    async with ctx.units() as uow:
        count, size = await uow.repos.files.files_kept_by(user_id, file_id)
        if count >= MAX_FILES or size + len(content) > MAX_FILES_BYTES:
            raise TooLarge(
                f"a user keeps at most {MAX_FILES} files and {MAX_FILES_BYTES} bytes "
                f"(now {count} files, {size} bytes)",
                field="file_contents",
            )
        await uow.repos.files.put_file(user_id, file_id, content, ttl_seconds)
        await uow.commit()


async def has_file(ctx: Context, user_id: UUID, file_id: str) -> bool:
    async with ctx.units() as uow:
        return bool(await uow.repos.files.kept_files(user_id, [file_id]))
