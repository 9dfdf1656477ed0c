"""How a Gradeflow run reads as a Judge0 status and message."""

import signal

import pytest

from gateway.domain.judge0 import STATUSES, message, status_id


@pytest.mark.parametrize(
    ("status", "verdict", "sig", "expected"),
    [
        ("queued", None, None, "In Queue"),
        ("done", "accepted", None, "Accepted"),
        ("done", "wrong_answer", None, "Wrong Answer"),
        ("done", "time_limit_exceeded", None, "Time Limit Exceeded"),
        ("done", "compilation_error", None, "Compilation Error"),
        ("done", "runtime_error", signal.SIGSEGV, "Runtime Error (SIGSEGV)"),
        ("done", "runtime_error", signal.SIGXFSZ, "Runtime Error (SIGXFSZ)"),
        ("done", "runtime_error", signal.SIGFPE, "Runtime Error (SIGFPE)"),
        ("done", "runtime_error", signal.SIGABRT, "Runtime Error (SIGABRT)"),
        ("done", "runtime_error", None, "Runtime Error (NZEC)"),
        ("done", "runtime_error", signal.SIGKILL, "Runtime Error (Other)"),
        ("done", "memory_limit_exceeded", None, "Runtime Error (Other)"),
        ("done", "internal_error", None, "Internal Error"),
    ],
)
def test_each_verdict_has_its_judge0_status(
    status: str, verdict: str | None, sig: int | None, expected: str
) -> None:
    assert STATUSES[status_id(status, verdict, sig)] == expected


def test_the_message_says_what_the_status_cannot() -> None:
    assert message("memory_limit_exceeded", None) == "Memory limit exceeded"
    assert message("runtime_error", signal.SIGKILL) == "Exited with signal 9 (SIGKILL)"
    assert message("accepted", None) is None
