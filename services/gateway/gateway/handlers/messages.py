"""The gateway's subscribers: grading progress and run results from the grader update the read models,
the messages in hand sharing a unit of work (progress is idempotent by itself, results are claimed
first: a redelivery is a no-op). They are FastStream subscribers (faststream's RabbitBroker, through
gradeflow_shared.messaging)."""

from gateway.usecases import runs, submissions
from gateway.usecases.ports import Units
from gradeflow_shared.events import (
    AssignmentPublished,
    CourseChanged,
    CourseEventPublished,
    EnrollmentChanged,
    EnrollmentsChanged,
    Event,
    GradingStarted,
    RunCompleted,
    RunRequested,
    SubmissionCreated,
    SubmissionGraded,
)
from gradeflow_shared.messaging import Messaging, Mode
from gradeflow_shared.topology import (
    GATEWAY_GRADING_STARTED,
    GATEWAY_RUNS_COMPLETED,
    GATEWAY_SUBMISSION_GRADED,
)

# What the gateway's use cases stage in its outbox (its AsyncAPI document's "send" operations).
PUBLISHES: tuple[type[Event], ...] = (
    AssignmentPublished,
    SubmissionCreated,
    RunRequested,
    EnrollmentChanged,
    EnrollmentsChanged,
    CourseChanged,
    CourseEventPublished,
)


def register(subs: Messaging, units: Units) -> None:
    # Two messages per submission, a few statements each: those in hand share a unit of work.
    # Both only move a submission forward (a status never goes back: domain.submissions.earlier_than), so a
    # redelivery changes nothing: no inbox claim.
    subs.add(
        GATEWAY_GRADING_STARTED,
        GradingStarted,
        submissions.grading_started,
        mode=Mode.IDEMPOTENT,
        units=units,
    )
    subs.add(
        GATEWAY_SUBMISSION_GRADED,
        SubmissionGraded,
        submissions.submission_graded,
        mode=Mode.IDEMPOTENT,
        units=units,
    )
    subs.add(
        GATEWAY_RUNS_COMPLETED, RunCompleted, runs.run_completed, mode=Mode.CLAIMED_TOGETHER, units=units
    )
