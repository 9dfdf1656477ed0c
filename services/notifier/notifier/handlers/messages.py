"""The notifier's subscribers: enrollment changes keep recipients current; grades fill the inbox.
Each runs in one unit of work that claims the message first (a redelivery is a no-op)."""

from gradeflow_shared.consumer import Subscriptions
from gradeflow_shared.events import EnrollmentChanged, SubmissionGraded
from gradeflow_shared.topology import NOTIFIER_GRADES, NOTIFIER_RECIPIENTS
from notifier.usecases import notify
from notifier.usecases.ports import Units


def register(subs: Subscriptions, units: Units) -> None:
    subs.add_claimed(NOTIFIER_RECIPIENTS, EnrollmentChanged, units, notify.record_enrollment)
    subs.add_claimed(NOTIFIER_GRADES, SubmissionGraded, units, notify.notify_graded)
