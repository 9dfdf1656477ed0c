"""The broker topology as code: one durable topic exchange, a work queue per consumer purpose,
each with retry delay tiers and a dead-letter queue. Every service declares all of it at start-up
(idempotent), so a message published before its consumer ever ran is queued, not unroutable.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Exchange:
    name: str
    type: str = "topic"
    durable: bool = True


@dataclass(frozen=True)
class QueueSpec:
    """A durable queue as declared: its name and its arguments (type, TTL, dead-lettering)."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


EXCHANGE = Exchange("gradeflow.events")

# Delay before each retry (a setting, RETRY_DELAYS_MS; every service of a deployment must use the
# same, since they all declare the tiers); a message past the last tier goes to the DLQ.
DEFAULT_RETRY_DELAYS_MS: tuple[int, ...] = (1_000, 10_000, 60_000, 300_000)
# Guard against crash loops: quorum queues dead-letter a message redelivered this many times.
DELIVERY_LIMIT = 10
# Every queue that passes messages on is a quorum queue (replicated on a cluster's nodes) whose
# dead-lettering is at-least-once: the message leaves it only once the next queue has confirmed it.
# At-least-once dead-lettering needs a full queue to refuse new messages (a publisher's confirm is
# then negative) rather than drop its oldest.
REPLICATED: dict[str, Any] = {
    "x-queue-type": "quorum",
    "x-dead-letter-strategy": "at-least-once",
    "x-overflow": "reject-publish",
}


@dataclass(frozen=True)
class Route:
    """A work queue `<service>.<purpose>` bound to one event type."""

    queue: str
    routing_key: str

    @property
    def dlq(self) -> str:
        return f"{self.queue}.dlq"

    def retry_queue(self, tier: int) -> str:
        return f"{self.queue}.retry.{tier}"

    def work_queue(self) -> QueueSpec:
        return QueueSpec(
            self.queue,
            arguments={
                **REPLICATED,
                "x-delivery-limit": DELIVERY_LIMIT,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.dlq,
            },
        )

    def side_queues(self, retry_delays_ms: tuple[int, ...]) -> list[QueueSpec]:
        """The delay tiers (TTL, then dead-lettered back to the work queue) and the DLQ, all
        replicated like the work queue: a message on its way back or parked survives a node."""
        tiers = [
            QueueSpec(
                self.retry_queue(i),
                arguments={
                    **REPLICATED,
                    "x-message-ttl": delay,
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": self.queue,
                },
            )
            for i, delay in enumerate(retry_delays_ms)
        ]
        return [*tiers, QueueSpec(self.dlq, {"x-queue-type": "quorum"})]


GATEWAY_GRADING_STARTED = Route("gateway.grading-started", "grading.started")
GATEWAY_SUBMISSION_GRADED = Route("gateway.submission-graded", "submission.graded")
GRADER_ASSIGNMENTS = Route("grader.assignments", "assignment.published")
GRADER_SUBMISSIONS = Route("grader.submissions", "submission.created")
# Ad-hoc runs on a queue of their own: a "run" click never waits behind a class's submissions.
GRADER_RUNS = Route("grader.runs", "run.requested")
# Regrades apart from live submissions: the grader takes one only with a slot free of live work.
GRADER_REGRADES = Route("grader.regrades", "submission.regrade_requested")
GATEWAY_RUNS_COMPLETED = Route("gateway.runs-completed", "run.completed")
# Grades passed back to the LMS a course is linked to (LTI Assignment and Grade Services): each
# grade and each override posted as a score, retried through the tiers while the LMS is away.
GATEWAY_LTI_GRADES = Route("gateway.lti-grades", "submission.graded")
GATEWAY_LTI_OVERRIDES = Route("gateway.lti-overrides", "grade.overridden")
NOTIFIER_GRADES = Route("notifier.grades", "submission.graded")
NOTIFIER_RECIPIENTS = Route("notifier.recipients", "enrollment.changed")
NOTIFIER_ROSTERS = Route("notifier.rosters", "enrollments.changed")
NOTIFIER_COURSES = Route("notifier.courses", "course.changed")
NOTIFIER_COURSE_EVENTS = Route("notifier.course-events", "course_event.published")
# A big audience's slices, consumed by every notifier replica.
NOTIFIER_CHUNKS = Route("notifier.chunks", "notification.chunk")
METRICS_TELEMETRY = Route("metrics.telemetry", "telemetry.jobs")
# Raised and resolved alike (a topic pattern): one queue keeps an alert's two events in order.
NOTIFIER_ALERTS = Route("notifier.alerts", "alert.*")

ROUTES: tuple[Route, ...] = (
    GATEWAY_GRADING_STARTED,
    GATEWAY_SUBMISSION_GRADED,
    GRADER_ASSIGNMENTS,
    GRADER_SUBMISSIONS,
    GRADER_RUNS,
    GRADER_REGRADES,
    GATEWAY_RUNS_COMPLETED,
    GATEWAY_LTI_GRADES,
    GATEWAY_LTI_OVERRIDES,
    NOTIFIER_GRADES,
    NOTIFIER_RECIPIENTS,
    NOTIFIER_ROSTERS,
    NOTIFIER_COURSES,
    NOTIFIER_COURSE_EVENTS,
    NOTIFIER_CHUNKS,
    METRICS_TELEMETRY,
    NOTIFIER_ALERTS,
)


def route_for(queue: str) -> Route:
    for route in ROUTES:
        if route.queue == queue:
            return route
    raise KeyError(queue)
