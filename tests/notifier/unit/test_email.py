"""Email in memory: a chunk stages one email per recipient who did not opt out; the dispatcher
records each server answer — sent, due again after a backoff (4xx), failed (5xx, or the last
attempt) — and a chunk delivered again stages no second email."""

import asyncio
import uuid
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import pytest

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.errors import Unavailable
from gradeflow_shared.events import NotificationChunk
from gradeflow_shared.topology import NOTIFIER_CHUNKS
from gradeflow_shared.unit_of_work import claimed
from notifier.adapters.mail import render
from notifier.domain.delivery import Mail, SendResult
from notifier.domain.records import Failed, Retry
from notifier.usecases import fanout
from notifier.usecases.deliveries import DeliveryPolicy, Dispatcher, one_each
from tests.notifier.events import course_event
from tests.notifier.unit.fakes import FakeNotifierStore, FakeRepos
from tests.support.fakes import FakeUnits, record

POLICY = DeliveryPolicy(batch=100, retry_delays_seconds=(1.0, 2.0))


class ScriptedMailer:
    """Answers each address with the results scripted for it, one per attempt (then: sent)."""

    def __init__(self, script: dict[str, list[SendResult]] | None = None) -> None:
        self.script = script or {}
        self.sent: list[Mail] = []

    async def send(
        self, mails: Sequence[Mail], on_sent: Callable[[int], None] | None = None
    ) -> list[SendResult]:
        results = []
        for i, mail in enumerate(mails):
            answers = self.script.get(mail.to, [])
            result = answers.pop(0) if answers else SendResult("sent")
            if result.outcome == "sent":
                self.sent.append(mail)
                if on_sent is not None:
                    on_sent(i)
            results.append(result)
            await asyncio.sleep(0)  # the next mail after a turn of the loop, as over a connection
        return results


def _people(units: FakeUnits[FakeRepos], n: int) -> list[UUID]:
    people = [uuid.uuid4() for _ in range(n)]
    for i, user in enumerate(people):
        units.repos.store.recipients[user] = record(
            user_id=user, email=f"s{i}@example.com", name=f"S{i}", digest=False
        )
    return people


async def _chunk(units: FakeUnits[FakeRepos], people: list[UUID]) -> NotificationChunk:
    event = course_event(uuid.uuid4(), "students")
    chunk = NotificationChunk(
        event_id=event.event_id, course_id=event.course_id, position=0, kind=event.type, title=event.title,
        body=event.body, category=event.category, priority=event.priority, recipients=tuple(people),
    )  # fmt: skip
    await claimed(units, NOTIFIER_CHUNKS, fanout.deliver_chunk)(chunk, Envelope.for_event(chunk))
    return chunk


async def test_each_recipient_gets_one_email_and_an_opted_out_one_none() -> None:
    units = FakeUnits(FakeRepos(FakeNotifierStore()))
    people = _people(units, 5)
    await units.repos.store.set_preference(people[0], "email", "exam", False)
    chunk = await _chunk(units, people)
    # The same chunk under a new message id: no second notification, no second email.
    await claimed(units, NOTIFIER_CHUNKS, fanout.deliver_chunk)(chunk, Envelope.for_event(chunk))
    mailer = ScriptedMailer()
    dispatcher = Dispatcher("email", units, mailer, one_each(render), POLICY)
    assert await dispatcher.dispatch_once() == 4
    assert await dispatcher.dispatch_once() == 0
    assert sorted(m.to for m in mailer.sent) == [f"s{i}@example.com" for i in range(1, 5)]
    assert len(units.repos.store.notifications) == 5, "the opted-out student still has the inbox row"
    mail = mailer.sent[0]
    assert (
        mail.subject == "Exam moved" and "Now on Friday." in mail.text and "<h2>Exam moved</h2>" in mail.html
    )


async def test_answers_are_recorded_retried_with_backoff_and_failed_at_the_last_attempt() -> None:
    units = FakeUnits(FakeRepos(FakeNotifierStore()))
    people = _people(units, 3)
    await _chunk(units, people)
    busy = SendResult("temporary", "451 try later")
    mailer = ScriptedMailer(
        {
            "s0@example.com": [busy],  # sent at the second attempt
            "s1@example.com": [SendResult("permanent", "550 no such user")],
            "s2@example.com": [busy, busy, busy],  # more refusals than retries allowed
        }
    )
    dispatcher = Dispatcher("email", units, mailer, one_each(render), POLICY)
    states: list[dict[str, Any]] = []
    for _ in range(3):
        await dispatcher.dispatch_once()
        states.append({d.address: (d.state, d.delay) for d in units.repos.store.deliveries.values()})
        units.repos.store.due_again()
    assert states[0] == {
        "s0@example.com": ("pending", 1.0),
        "s1@example.com": ("failed", POLICY.lease_seconds),
        "s2@example.com": ("pending", 1.0),
    }
    assert states[1]["s0@example.com"][0] == "sent" and states[1]["s2@example.com"] == ("pending", 2.0)
    assert states[2]["s2@example.com"][0] == "failed"
    failed = {d.address: d.last_error for d in units.repos.store.deliveries.values() if d.state == "failed"}
    assert failed == {"s1@example.com": "550 no such user", "s2@example.com": "451 try later"}
    assert [m.to for m in mailer.sent] == ["s0@example.com"]


async def test_html_is_escaped_and_text_is_not() -> None:
    row = record(id=uuid.uuid4(), address="a@example.com", title="<b>Quiz</b>", body="2 < 3 & 4 > 1")
    mail = render(row)
    assert "&lt;b&gt;Quiz&lt;/b&gt;" in mail.html and "2 &lt; 3 &amp; 4 &gt; 1" in mail.html
    assert "2 < 3 & 4 > 1" in mail.text


class AwayOnce(FakeNotifierStore):
    """A store whose first `outages` attempts to record answers find the database away."""

    def __init__(self, outages: int) -> None:
        super().__init__()
        self.outages = outages

    async def settle(self, sent: Sequence[UUID], retry: Sequence[Retry], failed: Sequence[Failed]) -> None:
        if self.outages:
            self.outages -= 1
            raise Unavailable("the database is unavailable")
        await super().settle(sent, retry, failed)


async def test_answers_are_recorded_once_the_database_is_back_and_nothing_is_sent_twice() -> None:
    units = FakeUnits(FakeRepos(AwayOnce(outages=2)))
    people = _people(units, 3)
    await _chunk(units, people)
    mailer = ScriptedMailer()
    dispatcher = Dispatcher("email", units, mailer, one_each(render), POLICY)
    assert await dispatcher.dispatch_once() == 3
    assert units.repos.store.outages == 0, "recorded at the third attempt"
    assert {d.state for d in units.repos.store.deliveries.values()} == {"sent"}
    units.repos.store.due_again()  # a lease run out would bring back only what was not recorded
    assert await dispatcher.dispatch_once() == 0
    assert sorted(m.to for m in mailer.sent) == [f"s{i}@example.com" for i in range(3)]


class DiesMidBatch(ScriptedMailer):
    """Accepted by the other end, then the sender dies after `accepted` mails of a batch."""

    def __init__(self, accepted: int) -> None:
        super().__init__()
        self.accepted = accepted

    async def send(
        self, mails: Sequence[Mail], on_sent: Callable[[int], None] | None = None
    ) -> list[SendResult]:
        for i, mail in enumerate(mails[: self.accepted]):
            self.sent.append(mail)
            if on_sent is not None:
                on_sent(i)
            await asyncio.sleep(0)
        raise ConnectionResetError("the process died here")


async def test_a_sender_dying_mid_batch_sends_again_only_what_was_not_accepted() -> None:
    units = FakeUnits(FakeRepos(FakeNotifierStore()))
    people = _people(units, 10)
    await _chunk(units, people)
    dying = DiesMidBatch(accepted=6)
    with pytest.raises(ConnectionResetError):
        await Dispatcher("email", units, dying, one_each(render), POLICY).dispatch_once()
    states = sorted(d.state for d in units.repos.store.deliveries.values())
    assert states == ["pending"] * 4 + ["sent"] * 6, "each accepted mail recorded as it was accepted"
    units.repos.store.due_again()  # the lease runs out: another sender takes the batch's rest
    after = ScriptedMailer()
    assert await Dispatcher("email", units, after, one_each(render), POLICY).dispatch_once() == 4
    sent = [m.to for m in dying.sent + after.sent]
    assert sorted(sent) == sorted({*sent}) and len(sent) == 10, "every student once, none twice"
