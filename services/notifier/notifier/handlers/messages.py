"""The notifier's subscribers: enrollment changes (one, or a roster's thousand) and course settings
keep its copy current; grades reach the student (and the parents, if the course says so);
a course event is sliced into chunks, each chunk written to its recipients' inboxes; alerts reach
the operators. Each runs in
one unit of work that claims the message first (a redelivery is a no-op)."""

from gradeflow_shared.consumer import Subscriptions
from gradeflow_shared.events import (
    AlertChanged,
    CourseChanged,
    CourseEventPublished,
    EnrollmentChanged,
    EnrollmentsChanged,
    Event,
    NotificationChunk,
    SubmissionGraded,
)
from gradeflow_shared.topology import (
    NOTIFIER_ALERTS,
    NOTIFIER_CHUNKS,
    NOTIFIER_COURSE_EVENTS,
    NOTIFIER_COURSES,
    NOTIFIER_GRADES,
    NOTIFIER_RECIPIENTS,
    NOTIFIER_ROSTERS,
)
from notifier.usecases import fanout, notify
from notifier.usecases.alerts import NotifyOperators, Operators
from notifier.usecases.ports import Units

PUBLISHES: tuple[type[Event], ...] = (NotificationChunk,)  # a big audience's slices, to itself


def register(subs: Subscriptions, units: Units, chunk_size: int, operators: Operators) -> None:
    subs.add_claimed(NOTIFIER_RECIPIENTS, EnrollmentChanged, units, notify.record_enrollment)
    subs.add_claimed(NOTIFIER_ROSTERS, EnrollmentsChanged, units, notify.record_enrollments)
    subs.add_claimed(NOTIFIER_COURSES, CourseChanged, units, notify.record_course)
    # One per graded submission, a few rows each: the grades in hand share a unit of work.
    # Its rows' ids derive from the submission and the person (a notification, then its deliveries
    # only for rows it wrote): a redelivery writes and sends nothing, so no inbox claim.
    subs.add_idempotent(NOTIFIER_GRADES, SubmissionGraded, units, notify.notify_graded)
    subs.add_claimed(NOTIFIER_COURSE_EVENTS, CourseEventPublished, units, fanout.FanOut(chunk_size))
    subs.add_claimed(NOTIFIER_CHUNKS, NotificationChunk, units, fanout.deliver_chunk)
    # alert.raised and alert.resolved share a body and a queue (in order): operators are told.
    subs.add_claimed(NOTIFIER_ALERTS, AlertChanged, units, NotifyOperators(operators))
