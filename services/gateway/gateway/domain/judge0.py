"""Judge0's vocabulary, for the Judge0-compatible API: its language ids and statuses, and how a
Gradeflow verdict reads as a Judge0 status. Pure data and rules; no I/O.

Language ids are Judge0 CE's (so existing clients keep their ids); statuses are its fourteen.
Judge0 has no Memory or Output Limit Exceeded status: those read as "Runtime Error (Other)" with
the Gradeflow verdict in `message`, as Judge0 itself reports them.
"""

import signal as signals

# Judge0 CE id → (Gradeflow language, Judge0's name for it)
LANGUAGE_IDS: dict[int, tuple[str, str]] = {
    50: ("c", "C (GCC)"),
    54: ("cpp", "C++ (GCC)"),
    62: ("java", "Java (OpenJDK)"),
    63: ("javascript", "JavaScript (Node.js)"),
    71: ("python", "Python (3)"),
}

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
