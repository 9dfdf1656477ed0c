"""Grading rules: output comparison, verdict per execution, overall verdict and partial credit."""

import signal
import uuid

import pytest

from grader.domain.grading import (
    Execution,
    TestCase,
    TestResult,
    checker_verdict,
    outputs_match,
    overall_verdict,
    score,
    verdict_of,
)


def run(**kw: object) -> Execution:
    base: dict[str, object] = {
        "exit_code": 0,
        "signal": None,
        "time_ms": 1.0,
        "stdout": "",
        "stderr": "",
    }
    base.update(kw)
    return Execution(**base)  # type: ignore[arg-type]


def case(position: int, weight: int = 1) -> TestCase:
    return TestCase(uuid.uuid4(), position, "", "", weight, hidden=False)


@pytest.mark.parametrize(
    ("actual", "expected", "match"),
    [
        ("3\n", "3\n", True),
        ("3", "3\n", True),
        ("3   \n\n\n", "3\n", True),
        ("1 2 \n3\n", "1 2\n3", True),
        ("3\n", "4\n", False),
        ("1 2\n", "1  2\n", False),
        ("", "0\n", False),
    ],
)
def test_trailing_whitespace_is_ignored_but_content_is_not(actual: str, expected: str, match: bool) -> None:
    assert outputs_match(actual, expected) is match


@pytest.mark.parametrize(
    ("execution", "verdict"),
    [
        (run(stdout="3\n"), "accepted"),
        (run(stdout="4\n"), "wrong_answer"),
        (run(exit_code=1), "runtime_error"),
        (run(exit_code=None, signal=signal.SIGSEGV), "runtime_error"),
        (run(timed_out=True, exit_code=None, signal=signal.SIGKILL), "time_limit_exceeded"),
        (run(output_exceeded=True, stdout="3\n"), "output_limit_exceeded"),
        (run(memory_exceeded=True, exit_code=1), "memory_limit_exceeded"),
    ],
)
def test_verdict_of_an_execution(execution: Execution, verdict: str) -> None:
    assert verdict_of(execution, "3\n") == verdict


def test_overall_verdict_is_the_first_failing_test_in_position_order() -> None:
    results = [
        TestResult(case(3), "time_limit_exceeded", run()),
        TestResult(case(1), "accepted", run()),
        TestResult(case(2), "wrong_answer", run()),
    ]
    assert overall_verdict(results) == "wrong_answer"
    assert overall_verdict([TestResult(case(1), "accepted", run())]) == "accepted"


def test_score_is_the_sum_of_passed_weights() -> None:
    results = [
        TestResult(case(1, weight=1), "accepted", run()),
        TestResult(case(2, weight=3), "wrong_answer", run()),
        TestResult(case(3, weight=5), "accepted", run()),
    ]
    assert score(results) == (6, 9)


@pytest.mark.parametrize(
    ("actual", "expected", "mode", "match"),
    [
        ("3 \n", "3\n", "exact", False),
        ("3\n", "3\n", "exact", True),
        ("1   2\n3", "1 2 3\n", "tokens", True),
        ("1 2\n", "1 3\n", "tokens", False),
        ("0.3333333\n", "0.33333333333\n", "numeric", True),
        ("0.34\n", "0.33333333333\n", "numeric", False),
        ("1000001\n", "1000000\n", "numeric", True),  # relative 1e-6
        ("yes 2.0000001\n", "yes 2\n", "numeric", True),
        ("no 2\n", "yes 2\n", "numeric", False),
        ("1 2\n", "1 2 3\n", "numeric", False),
    ],
)
def test_comparison_modes(actual: str, expected: str, mode: str, match: bool) -> None:
    assert outputs_match(actual, expected, mode, 1e-6) is match


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (run(exit_code=0), "accepted"),
        (run(exit_code=1), "wrong_answer"),
        (run(exit_code=2), "wrong_answer"),  # testlib's presentation error
        (run(exit_code=3), "internal_error"),  # testlib's "checker failed"
        (run(exit_code=None, signal=signal.SIGSEGV), "internal_error"),
        (run(exit_code=0, timed_out=True), "internal_error"),
        (run(exit_code=1, stderr="Traceback (most recent call last):\n  ..."), "internal_error"),
        (run(exit_code=1, parse_failed=True), "internal_error"),
    ],
)
def test_a_checkers_exit_decides_and_its_own_failure_is_never_the_students(
    check: Execution, expected: str
) -> None:
    assert checker_verdict(check, ("Traceback (most recent call last)",)) == expected


def test_a_source_that_does_not_parse_is_a_compilation_error_whatever_else() -> None:
    assert verdict_of(run(exit_code=1, parse_failed=True, stderr="SyntaxError: x"), "") == "compilation_error"
