"""The notifier's subscribers: enrollment changes (one, or a roster's thousand) and course settings
keep its copy current; grades reach the student (and the parents, if the course says so); a course
event is sliced into chunks, each chunk written to its recipients' inboxes; alerts reach the
operators. Each runs in one unit of work that claims the message first, but grades, whose rows are
keyed by the submission and the person (a redelivery is a no-op). They are FastStream subscribers
(faststream's RabbitBroker, through gradeflow_shared.messaging)."""

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
from gradeflow_shared.messaging import Messaging, Mode
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


def register(subs: Messaging, units: Units, chunk_size: int, operators: Operators) -> None:
    subs.add(NOTIFIER_RECIPIENTS, EnrollmentChanged, notify.record_enrollment, mode=Mode.CLAIMED, units=units)
    subs.add(NOTIFIER_ROSTERS, EnrollmentsChanged, notify.record_enrollments, mode=Mode.CLAIMED, units=units)
    subs.add(NOTIFIER_COURSES, CourseChanged, notify.record_course, mode=Mode.CLAIMED, units=units)
    # One per graded submission, a few rows each: the grades in hand share a unit of work.
    # Its rows' ids derive from the submission and the person (a notification, then its deliveries
    # only for rows it wrote): a redelivery writes and sends nothing, so no inbox claim.
    subs.add(NOTIFIER_GRADES, SubmissionGraded, notify.notify_graded, mode=Mode.IDEMPOTENT, units=units)
    subs.add(
        NOTIFIER_COURSE_EVENTS,
        CourseEventPublished,
        fanout.FanOut(chunk_size),
        mode=Mode.CLAIMED,
        units=units,
    )
    subs.add(NOTIFIER_CHUNKS, NotificationChunk, fanout.deliver_chunk, mode=Mode.CLAIMED, units=units)
    # alert.raised and alert.resolved share a body and a queue (in order): operators are told.
    subs.add(NOTIFIER_ALERTS, AlertChanged, NotifyOperators(operators), mode=Mode.CLAIMED, units=units)
