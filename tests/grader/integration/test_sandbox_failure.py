"""When the sandbox itself fails (not the program), a submission or an ad-hoc run is retried; on
the last attempt its policy allows, it ends with an Internal Error verdict rather than being left
waiting ("queued" for ever). The failure is real: a `bwrap` that refuses as bwrap does where user
namespaces are forbidden; the database is the real one."""

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gradeflow_shared.db import make_engine, make_sessions
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import (
    AssignmentPublished,
    RunCompleted,
    RunRequested,
    SubmissionCreated,
    SubmissionGraded,
    TestCaseSpec,
)
from gradeflow_shared.topology import GRADER_ASSIGNMENTS
from gradeflow_shared.unit_of_work import SqlUnitsOfWork, claimed
from grader.adapters.db.repositories import SqlGraderStore
from grader.adapters.db.tables import SCHEMA, inbox, outbox, runs
from grader.adapters.sandbox import BwrapSandbox
from grader.domain.errors import SandboxError
from grader.usecases.grading import copy_suite, grade
from grader.usecases.ports import GraderContext
from grader.usecases.runs import execute_run
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


@pytest.fixture
async def grader(infra: Infra, refusing_bwrap: Path) -> AsyncIterator[tuple[GraderContext, AsyncEngine]]:
    """The grader's use cases on the real database, with a sandbox whose bwrap always refuses."""
    engine = make_engine(infra.database_url("grader"), SCHEMA)
    sandbox = BwrapSandbox(refusing_bwrap.parent / "root", 61_700, slots=1, bwrap=str(refusing_bwrap))
    await sandbox.start()
    try:
        yield (
            GraderContext(
                SqlUnitsOfWork(make_sessions(engine), SqlGraderStore, outbox, inbox), sandbox, 65_536
            ),
            engine,
        )
    finally:
        await engine.dispose()


async def test_a_sandbox_that_keeps_failing_ends_in_an_internal_error(
    grader: tuple[GraderContext, AsyncEngine],
) -> None:
    ctx, engine = grader
    units = ctx.units
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
    await claimed(units, GRADER_ASSIGNMENTS, copy_suite)(published, Envelope.for_event(published))
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
    with pytest.raises(SandboxError, match="No permissions"):
        await grade(ctx, submission, envelope)  # an early attempt: left to the retry tiers

    await grade(ctx, submission, envelope.model_copy(update={"final_attempt": True}))
    async with make_sessions(engine)() as session:
        verdict = await session.scalar(
            select(runs.c.verdict).where(runs.c.submission_id == submission.submission_id)
        )
        bodies = (
            await session.scalars(select(outbox.c.body).where(outbox.c.message_type == "submission.graded"))
        ).all()
    assert verdict == "internal_error"
    [graded] = [
        g
        for g in (SubmissionGraded.model_validate_json(b) for b in bodies)
        if g.submission_id == submission.submission_id
    ]
    assert graded.verdict == "internal_error" and graded.score == 0
    assert all(t.verdict == "internal_error" and REFUSAL in t.message for t in graded.tests)


async def test_an_ad_hoc_run_whose_sandbox_keeps_failing_completes_as_internal_error(
    grader: tuple[GraderContext, AsyncEngine],
) -> None:
    ctx, engine = grader
    run = RunRequested(
        run_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        language="c",
        source="int main(){}",
        requested_at=datetime.now(UTC),
    )
    envelope = Envelope.for_event(run)
    with pytest.raises(SandboxError, match="No permissions"):
        await execute_run(ctx, run, envelope)  # an early attempt: left to the retry tiers
    await execute_run(ctx, run, envelope.model_copy(update={"final_attempt": True}))
    async with make_sessions(engine)() as session:
        bodies = (
            await session.scalars(select(outbox.c.body).where(outbox.c.message_type == "run.completed"))
        ).all()
        claimed_once = await session.scalar(
            select(inbox.c.message_id).where(inbox.c.message_id == envelope.message_id)
        )
    [completed] = [c for c in map(RunCompleted.model_validate_json, bodies) if c.run_id == run.run_id]
    assert completed.verdict == "internal_error" and REFUSAL in completed.stderr
    assert claimed_once == envelope.message_id, "a redelivery of this request is now a no-op"


@pytest.mark.parametrize("made", ["someone else's", "open to all", "a link"])
async def test_a_sandbox_root_it_does_not_own_alone_is_refused_at_start(tmp_path: Path, made: str) -> None:
    """Under a shared /tmp another user may make the root first: the grader refuses to start."""
    root = tmp_path / "root"
    if made == "a link":
        (tmp_path / "elsewhere").mkdir()
        root.symlink_to(tmp_path / "elsewhere")
    else:
        root.mkdir()
        if made == "open to all":
            root.chmod(0o777)
        else:
            os.chown(root, 65534, 65534)
    sandbox = BwrapSandbox(root, 61_600, slots=1, ready=False)
    with pytest.raises(SandboxError, match="closed to others"):
        await sandbox.start()
