"""Jobe's vocabulary, for the Jobe-compatible API (what Moodle's CodeRunner speaks): its language
names, its run parameters in its units, and how a Gradeflow run's ending reads as a Jobe outcome.
Pure data and rules; no I/O."""

import json
import math
import re
import signal as signals
from typing import Any

from gradeflow_shared.events import RUN_FILE_NAME
from gradeflow_shared.limits import SPECS

# Jobe's language id → ours, and the version Jobe lists (the graders' toolchains: docs/jobe.md).
LANGUAGES: dict[str, tuple[str, str]] = {
    "c": ("c", "gcc"),
    "cpp": ("cpp", "g++"),
    "java": ("java", "openjdk"),
    "nodejs": ("javascript", "node"),
    "python3": ("python", "3"),
}

COMPILATION_ERROR, RUNTIME_ERROR, TIME_LIMIT, SUCCESS = 11, 12, 13, 15
MEMORY_LIMIT, ILLEGAL_SYSCALL, INTERNAL_ERROR, SERVER_OVERLOAD = 17, 19, 20, 21

# Jobe's parameters this system takes, each to a limit of ours: (our limit, our units per Jobe unit).
PARAMETERS = {
    "cputime": ("time_limit_ms", 1000),  # seconds
    "memorylimit": ("memory_limit_mb", 1),  # MB (Jobe's 0, no limit: the maximum here)
    "disklimit": ("disk_limit_mb", 1),  # MB
    "streamsize": ("max_output_kb", 1000),  # MB (Jobe: 1000 KB a MB)
    "numprocs": ("max_processes", 1),
}
# Jobe's argument lists: the program's (runargs), the compiler's (compileargs, linkargs: C and C++,
# from the allow-list); the interpreter's is the grader's own (taken empty only).
ARGUMENTS = ("compileargs", "linkargs", "interpreterargs", "runargs")


FILE_ID = re.compile(r"^[A-Za-z0-9]{8,100}$")  # Jobe: alphanumeric, at least 8 characters


class BadRunSpec(ValueError):
    """Jobe's 400: the message is the whole body."""


def parse_run_spec(raw: bytes) -> dict[str, Any]:
    """Jobe's checks of a run_spec, with its messages."""
    try:
        body = json.loads(raw)
    except ValueError:
        raise BadRunSpec("Non-JSON post data received") from None
    spec = body.get("run_spec") if isinstance(body, dict) else None
    if not isinstance(spec, dict):
        raise BadRunSpec("No run_spec attribute found in post data")
    for attr in ("sourcecode", "language_id"):
        if not isinstance(spec.get(attr), str):
            raise BadRunSpec(f"run_spec is missing the required attribute '{attr}'")
    spec["language_id"] = spec["language_id"].lower()
    if spec["language_id"] not in LANGUAGES:
        raise BadRunSpec(f"Language '{spec['language_id']}' is not known")
    name = spec.get("sourcefilename")
    if name not in (None, "") and (not isinstance(name, str) or not re.fullmatch(RUN_FILE_NAME, name)):
        raise BadRunSpec("The sourcefilename for the run_spec is illegal")
    if not isinstance(spec.get("input", ""), str) or not isinstance(spec.get("parameters") or {}, dict):
        raise BadRunSpec("run_spec input must be a string and parameters an object")
    files = spec.get("file_list") or []
    if not isinstance(files, list):
        raise BadRunSpec("Invalid file specifier: file_list must be a list")
    for f in files:
        if not (
            isinstance(f, list)
            and len(f) in (2, 3)
            and all(isinstance(x, str) for x in f[:2])
            and FILE_ID.fullmatch(f[0])
            and re.fullmatch(RUN_FILE_NAME, f[1])
        ):
            raise BadRunSpec(f"Invalid file specifier: {f!r}")
    spec["file_list"] = files
    return spec


def limits(parameters: dict[str, Any]) -> dict[str, int]:
    """Our limits for Jobe's `parameters`, each clamped to what this system allows (as Jobe
    clamps to its configured maxima); anything not a number, or an argument list that is not
    empty, is a bad run_spec."""
    out: dict[str, int] = {}
    for name, value in parameters.items():
        if name in ARGUMENTS:
            continue  # arguments(): not limits
        if name not in PARAMETERS:
            continue  # Jobe ignores parameters it does not know (CodeRunner sends a few of its own)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise BadRunSpec(f"parameter '{name}' must be a number")
        ours, scale = PARAMETERS[name]
        spec = SPECS[ours]
        wanted = spec.maximum if value <= 0 else math.ceil(value * scale)
        out[ours] = max(spec.minimum, min(spec.maximum, wanted))
    if "time_limit_ms" in out:  # Jobe kills at twice the CPU time
        out["wall_limit_ms"] = min(SPECS["wall_limit_ms"].maximum, 2 * out["time_limit_ms"])
    return out


def outcome(verdict: str | None, signal: int | None, stderr: str | None) -> int:
    """Jobe's outcome for how a run ended. As Jobe does, a run that wrote to stderr is a runtime
    error even if it exited 0; a seccomp kill (SIGSYS) is an illegal system call."""
    if verdict == "compilation_error":
        return COMPILATION_ERROR
    if verdict == "time_limit_exceeded":
        return TIME_LIMIT
    if verdict == "memory_limit_exceeded":
        return MEMORY_LIMIT
    if verdict == "internal_error" or verdict is None:
        return INTERNAL_ERROR
    if signal == signals.SIGSYS:
        return ILLEGAL_SYSCALL
    if verdict in ("runtime_error", "output_limit_exceeded") or stderr:
        return RUNTIME_ERROR
    return SUCCESS


def arguments(parameters: dict[str, Any]) -> dict[str, list[str]]:
    """`args` and `compile_options` from Jobe's argument lists (checked by the run's own rules)."""

    def words(name: str) -> list[str]:
        value = parameters.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadRunSpec(f"parameter '{name}' must be a list of strings")
        return value

    if words("interpreterargs"):
        raise BadRunSpec(
            "parameter 'interpreterargs' is not supported on this server (the grader owns the interpreter)"
        )
    return {"args": words("runargs"), "compile_options": [*words("compileargs"), *words("linkargs")]}
