"""When the sandbox itself fails (not the program), a submission is retried; on the last attempt
its policy allows, the student gets an Internal Error verdict rather than a submission left waiting.
The failure is real: a `bwrap` that refuses as bwrap does where user namespaces are forbidden."""

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from gradeflow_shared.db import make_engine, make_sessions
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import AssignmentPublished, SubmissionCreated, SubmissionGraded, TestCaseSpec
from grader.adapters.db.tables import SCHEMA, outbox, runs
from grader.adapters.sandbox import BwrapSandbox
from grader.domain.grading import SandboxError
from grader.usecases.grading import GraderContext, copy_suite, grade
from tests.support.infra import Infra

pytestmark = pytest.mark.integration
REFUSAL = "bwrap: No permissions to create new namespace"


@pytest.fixture
def refusing_bwrap() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="gradeflow-fake-bwrap-"))
    folder.chmod(0o755)  # run as the sandbox's unprivileged uid
    fake = folder / "bwrap"
    fake.write_text(f"#!/bin/sh\necho '{REFUSAL}' >&2\nexit 1\n")
    fake.chmod(0o755)
    yield fake
    shutil.rmtree(folder)


async def test_a_sandbox_that_keeps_failing_ends_in_an_internal_error(
    infra: Infra, refusing_bwrap: Path
) -> None:
    engine = make_engine(infra.database_url("grader"), SCHEMA)
    sandbox = BwrapSandbox(refusing_bwrap.parent / "root", 61_700, slots=1, bwrap=str(refusing_bwrap))
    ctx = GraderContext(make_sessions(engine), sandbox, wake_relay=lambda: None, max_output_bytes=65_536)
    tests = tuple(
        TestCaseSpec(
            test_id=uuid.uuid4(), position=i, stdin="1\n", expected_stdout="1\n", weight=1, hidden=False
        )
        for i in range(2)
    )
    published = AssignmentPublished(
        assignment_id=uuid.uuid4(),
        course_id=uuid.uuid4(),
        title="t",
        time_limit_ms=1000,
        memory_limit_mb=128,
        tests=tests,
    )
    await copy_suite(ctx, published, Envelope.for_event(published))
    submission = SubmissionCreated(
        submission_id=uuid.uuid4(),
        assignment_id=published.assignment_id,
        course_id=published.course_id,
        student_id=uuid.uuid4(),
        language="python",
        source="print(input())\n",
        created_at=datetime.now(UTC),
    )
    envelope = Envelope.for_event(submission)
    try:
        with pytest.raises(SandboxError, match="No permissions"):
            await grade(ctx, submission, envelope)  # an early attempt: left to the retry tiers

        await grade(ctx, submission, envelope.model_copy(update={"final_attempt": True}))
        async with ctx.sessions() as session:
            verdict = await session.scalar(
                select(runs.c.verdict).where(runs.c.submission_id == submission.submission_id)
            )
            bodies = (
                await session.scalars(
                    select(outbox.c.body).where(outbox.c.message_type == "submission.graded")
                )
            ).all()
    finally:
        await engine.dispose()
    assert verdict == "internal_error"
    [graded] = [
        g
        for g in (SubmissionGraded.model_validate_json(b) for b in bodies)
        if g.submission_id == submission.submission_id
    ]
    assert graded.verdict == "internal_error" and graded.score == 0
    assert all(t.verdict == "internal_error" and REFUSAL in t.message for t in graded.tests)
