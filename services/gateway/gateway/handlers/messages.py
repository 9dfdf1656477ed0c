"""The gateway's subscribers: grading progress and run results from the grader update the read models,
the messages in hand sharing a unit of work (progress is idempotent by itself, results are claimed
first: a redelivery is a no-op). They are FastStream subscribers (faststream's RabbitBroker, through
gradeflow_shared.messaging)."""

from typing import Final

import gradeflow_shared.events as ev
from gateway.usecases.lti import LtiTool
from gateway.usecases.ports import Units
from gateway.usecases.runs import run_completed
from gateway.usecases.submissions import grading_started, submission_graded
from gradeflow_shared.messaging import Messaging, Mode
from gradeflow_shared.topology import (
    GATEWAY_GRADING_STARTED,
    GATEWAY_LTI_GRADES,
    GATEWAY_LTI_OVERRIDES,
    GATEWAY_RUNS_COMPLETED,
    GATEWAY_SUBMISSION_GRADED,
)

# What the gateway's use cases stage in its outbox (its AsyncAPI document's "send" operations).
PUBLISHES: tuple[type[ev.Event], ...] = (
    ev.AssignmentPublished,
    ev.SubmissionCreated,
    ev.SubmissionRegradeRequested,
    ev.RunRequested,
    ev.EnrollmentChanged,
    ev.EnrollmentsChanged,
    ev.CourseChanged,
    ev.CourseEventPublished,
    ev.GradeOverridden,
)


def register(subs: Messaging, units: Units, lti: LtiTool) -> None:
    # Two messages per submission, a few statements each: those in hand share a unit of work.
    # Both only move a submission forward (a status never goes back: domain.submissions.earlier_than),
    # so a redelivery changes nothing: no inbox claim.
    moves: Final = Mode.IDEMPOTENT
    subs.add(GATEWAY_GRADING_STARTED, ev.GradingStarted, grading_started, mode=moves, units=units)
    subs.add(GATEWAY_SUBMISSION_GRADED, ev.SubmissionGraded, submission_graded, mode=moves, units=units)
    subs.add(GATEWAY_RUNS_COMPLETED, ev.RunCompleted, run_completed, mode=Mode.CLAIMED_TOGETHER, units=units)
    # Grades to the LMSs courses are linked to: an HTTP call each, outside any transaction; a
    # platform away is retried through the tiers, a refusal dead-lettered with its reason.
    subs.add(GATEWAY_LTI_GRADES, ev.SubmissionGraded, lti.pass_back_graded, mode=Mode.OUTSIDE)
    subs.add(GATEWAY_LTI_OVERRIDES, ev.GradeOverridden, lti.pass_back_override, mode=Mode.OUTSIDE)
