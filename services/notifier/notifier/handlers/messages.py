"""The notifier's subscribers: enrollment changes keep recipients current; grades fill the inbox."""

from gradeflow_shared.consumer import Subscriptions
from gradeflow_shared.db import SessionFactory
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import EnrollmentChanged, SubmissionGraded
from gradeflow_shared.topology import NOTIFIER_GRADES, NOTIFIER_RECIPIENTS
from notifier.usecases import notify


def register(subs: Subscriptions, sessions: SessionFactory) -> None:
    async def on_enrollment(event: EnrollmentChanged, envelope: Envelope) -> None:
        await notify.record_enrollment(sessions, event, envelope)

    async def on_graded(event: SubmissionGraded, envelope: Envelope) -> None:
        await notify.notify_graded(sessions, event, envelope)

    subs.add(NOTIFIER_RECIPIENTS, EnrollmentChanged, on_enrollment)
    subs.add(NOTIFIER_GRADES, SubmissionGraded, on_graded)
