"""Judge0's vocabulary, for the Judge0-compatible API: its language ids and statuses, and how a
Gradeflow verdict reads as a Judge0 status. Pure data and rules; no I/O.

Language ids and names are Judge0 CE's (so existing clients keep their ids), limits are in its
names and units (each mapped onto the common library's limit of the same meaning), statuses are
its fourteen.
Judge0 has no Memory or Output Limit Exceeded status: those read as "Runtime Error (Other)" with
the Gradeflow verdict in `message`, as Judge0 itself reports them.
"""

import base64
import signal as signals
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from pydantic import Field

from gateway.domain.errors import GatewayError
from gradeflow_shared.limits import SPECS
from gradeflow_shared.program_args import COMPILED_WITH_OPTIONS


@dataclass(frozen=True)
class Language:
    id: str  # the system's
    name: str  # as Judge0 CE names it


LANGUAGES: dict[int, Language] = {
    50: Language("c", "C (GCC)"),
    54: Language("cpp", "C++ (GCC)"),
    62: Language("java", "Java (OpenJDK)"),
    63: Language("javascript", "JavaScript (Node.js)"),
    71: Language("python", "Python (3)"),
    89: Language("multi", "Multi-file program"),
}
MULTI_FILE = 89  # its program is its additional_files: a `run` script, and a `compile` one if any
# Judge0's own bounds on these (its defaults' maxima): runs a submission may ask, extra CPU time.
MAX_RUNS, MAX_CPU_EXTRA_SECONDS = 20, 5.0
# A submission's runs together may use at most this much CPU time (runs x (limit + extra)).
MAX_TOTAL_CPU_SECONDS = 60.0
IDS: dict[str, int] = {language.id: judge0_id for judge0_id, language in LANGUAGES.items()}


@dataclass(frozen=True)
class Limit:
    """One of our limits as Judge0 names it: its field, and how many of our units make one of
    Judge0's (s → ms: 1000; KB → MB: 1/1024); seconds are floats there."""

    field: str
    per_unit: float = 1.0
    is_float: bool = False

    def to_judge0(self, value: int | None) -> float | int | None:
        if value is None:
            return None
        return value / self.per_unit if self.is_float else round(value / self.per_unit)

    def from_judge0(self, value: float | None) -> int | None:
        return None if value is None else round(value * self.per_unit)


LIMITS: dict[str, Limit] = {  # by our limit's name (gradeflow_shared.limits.SPECS)
    "time_limit_ms": Limit("cpu_time_limit", 1000, True),
    "wall_limit_ms": Limit("wall_time_limit", 1000, True),
    "memory_limit_mb": Limit("memory_limit", 1 / 1024),
    "max_processes": Limit("max_processes_and_or_threads"),
    "max_file_kb": Limit("max_file_size"),
    "stack_limit_mb": Limit("stack_limit", 1 / 1024),
}


def limit_field(name: str) -> Any:
    """Our limit's bounds in Judge0's units, as a pydantic field of Judge0's submission body."""
    spec, limit = SPECS[name], LIMITS[name]
    return Field(
        default=limit.to_judge0(spec.default),
        ge=limit.to_judge0(spec.minimum),
        le=limit.to_judge0(spec.maximum),
    )


class Run(Protocol):
    """What `render` reads of a run (the API's RunOut has it)."""

    id: UUID
    language: str
    status: str
    verdict: str | None
    signal: int | None
    stdout: str | None
    stderr: str | None
    stdout_bytes_b64: str | None
    stderr_bytes_b64: str | None
    compile_output: str | None
    time_ms: float | None
    wall_ms: float | None
    memory_kb: int | None
    exit_code: int | None
    created_at: datetime
    updated_at: datetime


STATUSES: dict[int, str] = {
    1: "In Queue",
    2: "Processing",
    3: "Accepted",
    4: "Wrong Answer",
    5: "Time Limit Exceeded",
    6: "Compilation Error",
    7: "Runtime Error (SIGSEGV)",
    8: "Runtime Error (SIGXFSZ)",
    9: "Runtime Error (SIGFPE)",
    10: "Runtime Error (SIGABRT)",
    11: "Runtime Error (NZEC)",
    12: "Runtime Error (Other)",
    13: "Internal Error",
    14: "Exec Format Error",
}

VERSION = "1.13.1"  # the Judge0 CE API this surface implements (the SDK picks its language table by it)
MAX_BATCH = 20  # Judge0's own bound on a batch

DEFAULT_FIELDS = ("token", "stdout", "stderr", "compile_output", "message", "status", "time", "memory")

_BY_VERDICT = {
    "accepted": 3,
    "wrong_answer": 4,
    "time_limit_exceeded": 5,
    "compilation_error": 6,
    "memory_limit_exceeded": 12,
    "output_limit_exceeded": 12,
    "internal_error": 13,
}
_BY_SIGNAL = {signals.SIGSEGV: 7, signals.SIGXFSZ: 8, signals.SIGFPE: 9, signals.SIGABRT: 10}


def status_id(status: str, verdict: str | None, signal: int | None) -> int:
    """The Judge0 status of a run: queued is In Queue; a runtime error is told by its signal, or
    NZEC (a non-zero exit code) when no signal ended it."""
    if status != "done" or verdict is None:
        return 1
    if verdict == "runtime_error":
        return _BY_SIGNAL.get(signal, 12) if signal is not None else 11  # type: ignore[call-overload]
    return _BY_VERDICT.get(verdict, 13)


def message(verdict: str | None, signal: int | None) -> str | None:
    """Judge0's free-text `message`: what its status cannot say."""
    if verdict in ("memory_limit_exceeded", "output_limit_exceeded"):
        return verdict.replace("_", " ").capitalize()
    if verdict == "runtime_error" and signal is not None:
        try:
            return f"Exited with signal {signal} ({signals.Signals(signal).name})"
        except ValueError:
            return f"Exited with signal {signal}"
    return None


def timestamp(value: datetime) -> str:
    """Judge0's time format: UTC, milliseconds, a Z (the SDK parses exactly this)."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def config(max_queue_size: int, callback_tries: int, callback_timeout: float) -> dict[str, Any]:
    """`GET /config_info`: every field Judge0 answers, each true to what this system enforces
    (its limits in Judge0's units; what it does not do is off and cannot be turned on)."""

    wall = 2 * (SPECS["time_limit_ms"].default or 0) + 1000
    return {
        # Defaults, and maxima as `max_<field>`; the wall time's default is derived (2 x CPU + 1 s).
        **{
            limit.field: limit.to_judge0(SPECS[name].default)
            for name, limit in LIMITS.items()
            if SPECS[name].default
        },
        "wall_time_limit": LIMITS["wall_limit_ms"].to_judge0(wall),
        **{f"max_{limit.field}": limit.to_judge0(SPECS[name].maximum) for name, limit in LIMITS.items()},
        "maintenance_mode": False,
        "enable_wait_result": True,
        "enable_compiler_options": True,
        "allowed_languages_for_compile_options": sorted(
            LANGUAGES[IDS[i]].name for i in COMPILED_WITH_OPTIONS
        ),
        "enable_command_line_arguments": True,
        "enable_submission_delete": True,
        "enable_callbacks": True,
        "callbacks_max_tries": callback_tries,
        "callbacks_timeout": callback_timeout,
        "enable_additional_files": True,
        "max_extract_size": 8 * 1024,  # KB, as Judge0 counts it (domain/archives.py)
        "enable_batched_submissions": True,
        "max_submission_batch_size": MAX_BATCH,
        "submission_cache_duration": 0.0,
        "use_docs_as_homepage": False,
        "allow_enable_network": False,
        "enable_network": False,
        "allow_enable_per_process_and_thread_time_limit": False,
        "allow_enable_per_process_and_thread_memory_limit": False,
        "enable_per_process_and_thread_time_limit": False,
        "enable_per_process_and_thread_memory_limit": False,
        "cpu_extra_time": 0.0,
        "max_cpu_extra_time": MAX_CPU_EXTRA_SECONDS,
        "number_of_runs": 1,
        "max_number_of_runs": MAX_RUNS,
        "redirect_stderr_to_stdout": False,
        "max_queue_size": max_queue_size,
    }


def render(run: Run, encoded: bool, fields: str | None) -> dict[str, Any]:
    """A run as Judge0 shows a submission: its fields (Judge0's defaults, a list, or `*`), streams
    base64-encoded on request, empty streams as null, times in seconds as strings."""

    def text(value: str | None, raw_b64: str | None = None) -> str | None:
        if value is None or value == "":
            return None  # Judge0 answers null for an empty stream
        if encoded:  # the bytes as the program wrote them, when the text could not hold them
            return raw_b64 or base64.b64encode(value.encode()).decode()
        return value

    status = status_id(run.status, run.verdict, run.signal)
    language_id = IDS[run.language]
    done = run.status == "done"
    full: dict[str, Any] = {
        "token": str(run.id),
        "stdout": text(run.stdout, run.stdout_bytes_b64),
        "stderr": text(run.stderr, run.stderr_bytes_b64),
        "compile_output": text(run.compile_output),
        "message": text(message(run.verdict, run.signal)),
        "status": {"id": status, "description": STATUSES[status]},
        "time": f"{run.time_ms / 1000:.3f}" if done and run.time_ms is not None else None,
        "wall_time": f"{run.wall_ms / 1000:.3f}" if done and run.wall_ms is not None else None,
        "memory": run.memory_kb if done else None,
        "exit_code": run.exit_code,
        "exit_signal": run.signal,
        "language_id": language_id,
        "created_at": timestamp(run.created_at),
        "finished_at": timestamp(run.updated_at) if done else None,
    }
    wanted = list(full) if fields == "*" else (fields.split(",") if fields else DEFAULT_FIELDS)
    unknown = [f for f in wanted if f not in full]
    if unknown:
        raise GatewayError(f"unknown or unsupported fields: {', '.join(unknown)}", field="fields")
    return {f: full[f] for f in wanted}
