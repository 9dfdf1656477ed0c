"""Jobe's vocabulary, for the Jobe-compatible API (what Moodle's CodeRunner speaks): its language
names, its run parameters in its units, and how a Gradeflow run's ending reads as a Jobe outcome.
Pure data and rules; no I/O."""

import json
import math
import re
import shlex
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
# Jobe's defaults (LanguageTask.php), and the task classes' own (Python3Task, JavaTask).
DEFAULTS = {"disklimit": 20, "streamsize": 2, "cputime": 5, "memorylimit": 400, "numprocs": 30}
LANGUAGE_DEFAULTS: dict[str, dict[str, int]] = {"python3": {"memorylimit": 1000}, "java": {"numprocs": 256}}
# Jobe refuses a cputime over its configured maximum with a 400; here the maximum is the system's.
MAX_CPUTIME_SECONDS = SPECS["time_limit_ms"].maximum // 1000
# Jobe's own test suite (testsubmit.py) checks its overload answer with this program, which Jobe
# answers with outcome 21 rather than running it (LanguageTask.php); so is it answered here.
OVERLOAD_TEST = "!** TESTING OVERLOAD EXCEPTION **!"
# Jobe's argument lists: the program's (runargs), the compiler's (compileargs, linkargs: C and C++,
# from the allow-list; ignored for Python and Node.js, as Jobe's task classes do), the
# interpreter's (interpreterargs).
ARGUMENTS = ("compileargs", "linkargs", "interpreterargs", "runargs")
COMPILED = frozenset({"c", "cpp"})


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
    parameters = spec.get("parameters") or {}
    if isinstance(parameters, dict) and _integer(parameters.get("cputime")) > MAX_CPUTIME_SECONDS:
        raise BadRunSpec(f"cputime exceeds maximum allowed on this Jobe server ({MAX_CPUTIME_SECONDS} secs)")
    name = spec.get("sourcefilename")
    if name not in (None, "") and (not isinstance(name, str) or not re.fullmatch(RUN_FILE_NAME, name)):
        raise BadRunSpec("The sourcefilename for the run_spec is illegal")
    if name == "prog.java":  # as Jobe: CodeRunner's legacy name, almost certainly wrong, ignored
        spec["sourcefilename"] = None
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


def _integer(value: Any) -> int:
    """PHP's intval, as Jobe reads cputime: a number's integer part, anything else 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0
    try:
        number = float(value)
    except ValueError:
        return 0
    return int(number) if math.isfinite(number) else 0


def limits(language_id: str, parameters: dict[str, Any]) -> dict[str, int]:
    """Our limits for Jobe's `parameters` over Jobe's defaults for the language, each clamped to
    what this system allows (as Jobe clamps to its configured maxima). A value that is not a
    number is the default, as Jobe takes it; 0 (Jobe: no limit) is the maximum; Java's memory is
    left to the JVM (its -Xmx), as Jobe does."""
    given: dict[str, float] = {**DEFAULTS, **LANGUAGE_DEFAULTS.get(language_id, {})}
    for name, value in parameters.items():
        numeric = not isinstance(value, bool) and isinstance(value, int | float)
        if name in PARAMETERS and numeric and math.isfinite(value):
            given[name] = value
    if language_id == "java":
        given["memorylimit"] = 0
    out: dict[str, int] = {}
    for name, value in given.items():
        ours, scale = PARAMETERS[name]
        spec = SPECS[ours]
        wanted = spec.maximum if value <= 0 else math.ceil(value * scale)
        out[ours] = max(spec.minimum, min(spec.maximum, wanted))
    # Jobe kills at twice the CPU time.
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


def arguments(language_id: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The run's argument lists from Jobe's: each list is joined and split again as Jobe's shell
    does (quotes and backslashes; no expansion, redirection or pipes), given lists replacing Jobe's
    defaults (None: the defaults)."""

    def words(name: str) -> list[str] | None:
        value = parameters.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadRunSpec(f"parameter '{name}' must be a list of strings")
        try:
            return shlex.split(" ".join(value))
        except ValueError as exc:
            raise BadRunSpec(f"parameter '{name}': {exc}") from None

    compiled = language_id in COMPILED
    compile_args, link = words("compileargs"), words("linkargs")
    if language_id == "java" and (compile_args or link):
        raise BadRunSpec(
            "parameters 'compileargs' and 'linkargs' are taken for c and cpp only on this server"
        )
    return {
        "args": words("runargs") or [],
        "compile_args": compile_args if compiled else None,
        "link_options": (link or []) if compiled else [],
        "interpreter_args": words("interpreterargs"),
    }


def clean(data: bytes) -> str:
    """Jobe's ResultObject::clean: UTF-8 as it is; anything else byte by byte, every byte below
    space (but newline, tab and return) or above '~' as its \\xNN escape."""
    try:
        return data.decode()
    except UnicodeDecodeError:
        pass
    return "".join(chr(b) if (32 <= b <= 126 or b in (9, 10, 13)) else f"\\x{b:02x}" for b in data)
