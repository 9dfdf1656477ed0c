"""Judging one build against test cases: every test run in one sandbox, outputs compared in each
test's mode, and tests compared by "checker" handed to the teacher's checker program (compiled once,
run sandboxed in the submission's own slot)."""

from gradeflow_shared.events import Verdict
from grader.domain.grading import (
    CHECKER_LIMITS,
    COMPILE_FAILED,
    Build,
    Checker,
    CheckInput,
    Limits,
    Sandbox,
    TestCase,
    TestResult,
    checker_message,
    checker_verdict,
    failure_of,
    verdict_of,
)
from grader.domain.languages import LANGUAGES


async def judge(
    sandbox: Sandbox, build: Build, cases: list[TestCase], limits: Limits, checker: Checker | None
) -> list[TestResult]:
    """Every test against the one build; a build that failed to compile fails every test."""
    if build.compile_error is not None:
        return [TestResult(case, "compilation_error", COMPILE_FAILED) for case in cases]
    executions = await sandbox.run_all(build, [case.stdin for case in cases], limits)
    verdicts: list[Verdict | None] = [
        failure_of(ex)
        if case.comparison == "checker"
        else verdict_of(ex, case.expected_stdout, case.comparison, case.tolerance)
        for case, ex in zip(cases, executions, strict=True)
    ]
    messages = [""] * len(cases)
    # Only runs that ended cleanly reach the checker; the others keep their own verdict.
    pending = [i for i, v in enumerate(verdicts) if v is None]
    if pending:
        inputs = [CheckInput(cases[i].stdin, executions[i].stdout, cases[i].expected_stdout) for i in pending]
        checked = await _check(sandbox, build, checker, inputs)
        for i, (verdict, message) in zip(pending, checked, strict=True):
            verdicts[i], messages[i] = verdict, message
    return [
        TestResult(case, verdict or "internal_error", ex, message)
        for case, verdict, ex, message in zip(cases, verdicts, executions, messages, strict=True)
    ]


async def _check(
    sandbox: Sandbox, build: Build, checker: Checker | None, inputs: list[CheckInput]
) -> list[tuple[Verdict, str]]:
    """(verdict, message) per input."""
    if checker is None:  # the gateway refuses such a suite; an old one must not pass by default
        return [("internal_error", "the assignment has no checker")] * len(inputs)
    compiled = await sandbox.prepare(checker.language, checker.source, within=build)
    try:
        if compiled.compile_error is not None:
            return [("internal_error", "the checker does not compile")] * len(inputs)
        markers = LANGUAGES[checker.language].crash_markers
        checks = await sandbox.check_all(compiled, inputs, CHECKER_LIMITS)
        verdicts = [checker_verdict(c, markers) for c in checks]
        return [(v, checker_message(c, v)) for c, v in zip(checks, verdicts, strict=True)]
    finally:
        await sandbox.discard(compiled)
