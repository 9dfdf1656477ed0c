"""The grader's repository on one unit of work's session; bulk writes are single multi-row
statements. Implements usecases.ports.GraderStore."""

from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared.events import AssignmentPublished
from gradeflow_shared.limits import LIMIT_FIELDS, RunLimits
from grader.adapters.db.tables import assignments, test_cases
from grader.domain.grading import (
    Checker,
    Finished,
    Grade,
    Job,
    Outcome,
    RunStart,
    Suite,
    TestCase,
    regrade_of,
)

# A run recorded and what was there before, in one statement (the SELECTs see the table as it was
# before the INSERT). Finished already: for a live submission, any run of it finished (it is graded
# once, whatever the version); for a regrade, a run of this version or a later one.
_START_RUN = text(
    """
    WITH fresh AS (
        INSERT INTO runs (submission_id, suite_version, assignment_id, student_id, language)
        VALUES (CAST(:submission_id AS uuid), :suite_version, CAST(:assignment_id AS uuid),
                CAST(:student_id AS uuid), :language)
        ON CONFLICT DO NOTHING
        RETURNING submission_id
    )
    SELECT EXISTS (SELECT 1 FROM fresh) AS fresh,
           EXISTS (SELECT 1 FROM runs WHERE submission_id = CAST(:submission_id AS uuid)
                   AND finished_at IS NOT NULL
                   AND (NOT :regrade OR suite_version >= :suite_version)) AS finished
    """
)
# The outcome and each test's result in one statement, only if the run was not finished already;
# the results as arrays, compiled once (a multi-row VALUES was compiled anew for every submission).
# With it, the grade of the newest earlier version (None: this is the first).
_FINISH_RUN = text(
    """
    WITH done AS (
        UPDATE runs SET verdict = :verdict, score = :score, max_score = :max_score, finished_at = now()
        WHERE submission_id = CAST(:submission_id AS uuid) AND suite_version = :suite_version
          AND finished_at IS NULL
        RETURNING submission_id, suite_version
    ), added AS (
        INSERT INTO test_results (submission_id, suite_version, test_id, verdict, time_ms, exit_code)
        SELECT done.submission_id, done.suite_version, r.test_id, r.verdict, r.time_ms, r.exit_code
        FROM done, unnest(
            CAST(:test_ids AS uuid[]), CAST(:verdicts AS text[]), CAST(:times_ms AS float8[]),
            CAST(:exit_codes AS int[])
        ) AS r(test_id, verdict, time_ms, exit_code)
    ), before AS (
        SELECT score, verdict FROM runs
        WHERE submission_id = CAST(:submission_id AS uuid) AND suite_version < :suite_version
          AND finished_at IS NOT NULL
        ORDER BY suite_version DESC LIMIT 1
    )
    SELECT (SELECT count(*) FROM done) AS finished, before.score, before.verdict
    FROM (SELECT 1) AS one LEFT JOIN before ON true
    """
)


class SqlGraderStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save_suite(self, event: AssignmentPublished) -> bool:
        """Copy a version of an assignment's suite; False when this version or a later one was
        copied already (a redelivery, or a version overtaken on its way)."""
        fields = {
            "course_id": event.course_id,
            **event.model_dump(include=set(LIMIT_FIELDS)),
            "checker_language": event.checker.language if event.checker else None,
            "checker_source": event.checker.source if event.checker else None,
            "suite_version": event.suite_version,
        }
        statement = pg_insert(assignments).values(id=event.assignment_id, **fields)
        saved = await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[assignments.c.id],
                set_=fields,
                where=assignments.c.suite_version < statement.excluded.suite_version,
            ).returning(assignments.c.id)
        )
        if saved.first() is None:
            return False
        if event.tests:
            await self._session.execute(
                pg_insert(test_cases)
                .values(
                    [
                        {
                            "assignment_id": event.assignment_id,
                            "id": t.test_id,
                            "suite_version": event.suite_version,
                            **t.model_dump(exclude={"test_id"}),
                        }
                        for t in event.tests
                    ]
                )
                .on_conflict_do_nothing()  # a test kept unchanged from an earlier version
            )
        return True

    async def load_suite(self, assignment_id: UUID) -> Suite | None:
        """The newest version received."""
        assignment = (
            await self._session.execute(select(assignments).where(assignments.c.id == assignment_id))
        ).first()
        if assignment is None:
            return None
        rows = (
            await self._session.execute(
                select(test_cases)
                .where(
                    test_cases.c.assignment_id == assignment_id,
                    test_cases.c.suite_version == assignment.suite_version,
                )
                .order_by(test_cases.c.position)
            )
        ).all()
        cases = [
            TestCase(
                r.id, r.position, r.stdin, r.expected_stdout, r.weight, r.hidden, r.comparison, r.tolerance
            )
            for r in rows
        ]
        checker = None
        if assignment.checker_language is not None:
            checker = Checker(assignment.checker_language, assignment.checker_source)
        limits = RunLimits.model_validate({f: getattr(assignment, f) for f in LIMIT_FIELDS})
        return Suite(limits, checker, cases, assignment.suite_version)

    async def start_run(self, job: Job, suite_version: int) -> RunStart:
        params = {
            "submission_id": job.submission_id,
            "suite_version": suite_version,
            "assignment_id": job.assignment_id,
            "student_id": job.student_id,
            "language": job.language,
            "regrade": regrade_of(job) is not None,
        }
        row = (await self._session.execute(_START_RUN, params)).one()
        return RunStart(fresh=row.fresh, finished=row.finished)

    async def finish_run(self, submission_id: UUID, suite_version: int, outcome: Outcome) -> Finished:
        """Store the outcome once (stored False: another worker finished this run first), with
        the grade of the newest earlier version."""
        grade, results = outcome.grade, outcome.results
        params = {
            "submission_id": submission_id,
            "suite_version": suite_version,
            "verdict": grade.verdict,
            "score": grade.score,
            "max_score": outcome.possible,
            "test_ids": [r.case.test_id for r in results],
            "verdicts": [r.verdict for r in results],
            "times_ms": [r.execution.time_ms for r in results],
            "exit_codes": [r.execution.exit_code for r in results],
        }
        row = (await self._session.execute(_FINISH_RUN, params)).one()
        before = Grade(row.score, row.verdict) if row.verdict is not None else None
        return Finished(bool(row.finished), before)
