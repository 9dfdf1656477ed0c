"""The gateway's subscribers: grading progress and run results from the grader update the read
models, each in one unit of work that claims the message first (a redelivery is a no-op)."""

from gateway.usecases import runs, submissions
from gateway.usecases.ports import Units
from gradeflow_shared.consumer import Subscriptions
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


def register(subs: Subscriptions, units: Units) -> None:
    subs.add_claimed(GATEWAY_GRADING_STARTED, GradingStarted, units, submissions.grading_started)
    subs.add_claimed(GATEWAY_SUBMISSION_GRADED, SubmissionGraded, units, submissions.submission_graded)
    subs.add_claimed(GATEWAY_RUNS_COMPLETED, RunCompleted, units, runs.run_completed)
