"""Process sandbox: each run in a fresh temporary directory, with a clean environment, rlimits on
CPU, memory, file size and processes, its own session (so the whole process group is killed on
timeout), and a cap on captured output. docs/sandbox.md says what this does and does not isolate.
"""

import asyncio
import contextlib
import os
import resource
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from grader.domain.grading import Execution, Limits

CLEAN_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp"}
FILE_SIZE_LIMIT = 16 * 1024 * 1024


def _limiter(limits: Limits) -> Callable[[], None]:
    cpu_seconds = max(1, -(-limits.time_ms // 1000))

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        memory = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


class ProcessSandbox:
    def __init__(self, python_executable: str) -> None:
        self._python = python_executable

    def command(self, language: str, source_file: Path) -> list[str]:
        if language == "python":
            # -I: ignore PYTHON* variables and the user's site; -S: no site-packages either.
            return [self._python, "-I", "-S", str(source_file)]
        raise ValueError(f"unsupported language: {language}")

    async def run(self, language: str, source: str, stdin: str, limits: Limits) -> Execution:
        with tempfile.TemporaryDirectory(prefix="gradeflow-run-") as workdir:
            source_file = Path(workdir) / "main.py"
            source_file.write_text(source)
            return await self._execute(self.command(language, source_file), workdir, stdin, limits)

    async def _execute(self, argv: list[str], workdir: str, stdin: str, limits: Limits) -> Execution:
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=workdir,
            env=CLEAN_ENV,
            start_new_session=True,
            preexec_fn=_limiter(limits),
        )
        wall_seconds = limits.time_ms / 1000 * 2 + 1
        timed_out = False
        try:
            (stdout, out_over), (stderr, _), _ = await asyncio.wait_for(
                asyncio.gather(
                    _read_capped(proc.stdout, limits.output_bytes, proc),
                    _read_capped(proc.stderr, limits.output_bytes, proc),
                    _feed(proc, stdin),
                ),
                wall_seconds,
            )
        except TimeoutError:
            timed_out, stdout, stderr, out_over = True, b"", b"", False
        finally:
            _kill_group(proc.pid)
            await proc.wait()
        elapsed_ms = (time.perf_counter() - started) * 1000
        code = proc.returncode
        sig = -code if code is not None and code < 0 else None
        text_err = stderr.decode(errors="replace")
        return Execution(
            exit_code=code if sig is None else None,
            signal=sig,
            time_ms=elapsed_ms,
            stdout=stdout.decode(errors="replace"),
            stderr=text_err,
            timed_out=timed_out or (sig in (signal.SIGXCPU, signal.SIGKILL) and not out_over),
            output_exceeded=out_over,
            memory_exceeded="MemoryError" in text_err,
        )


async def _feed(proc: asyncio.subprocess.Process, data: str) -> None:
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        proc.stdin.write(data.encode())
        await proc.stdin.drain()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        proc.stdin.close()


async def _read_capped(
    stream: asyncio.StreamReader | None, cap: int, proc: asyncio.subprocess.Process
) -> tuple[bytes, bool]:
    """Read up to `cap` bytes; past it, kill the run instead of buffering a flood."""
    assert stream is not None
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.read(65536):
        size += len(chunk)
        if size > cap:
            _kill_group(proc.pid)
            return b"".join(chunks), True
        chunks.append(chunk)
    return b"".join(chunks), False


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
