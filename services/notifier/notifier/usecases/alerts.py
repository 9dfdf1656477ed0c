"""Alerts to operators: each alert raised or resolved (from the metrics service) becomes a
notification for every operator — an email to each address configured, a signed call to each
webhook — through the same deliveries, retries and records as any other notification. Ids are
derived from the alert, its state and the operator: a redelivered alert notifies no one twice."""

from dataclasses import dataclass
from uuid import uuid5

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import AlertChanged
from notifier.usecases.ports import Uow


@dataclass(frozen=True)
class Operators:
    emails: tuple[str, ...] = ()
    webhooks: tuple[str, ...] = ()
    webhook_secret: str | None = None

    def __bool__(self) -> bool:
        return bool(self.emails or self.webhooks)


@dataclass(frozen=True)
class NotifyOperators:
    operators: Operators

    async def __call__(self, uow: Uow, event: AlertChanged, _: Envelope) -> None:
        if not self.operators:
            return  # nobody to tell: the alert is still listed by the metrics service
        ops = self.operators
        people = await uow.repos.people.upsert_operators(ops.emails, ops.webhooks, ops.webhook_secret)
        title = f"[{event.severity}] {event.queue}: {event.rule} alert {event.state}"
        data = {
            "alert_id": str(event.alert_id),
            "queue": event.queue,
            "rule": event.rule,
            "state": event.state,
            "severity": event.severity,
            "value": str(event.value),
            "threshold": str(event.threshold),
            "raised_at": event.raised_at.isoformat(),
            "resolved_at": event.resolved_at.isoformat() if event.resolved_at else "",
        }
        message = {
            "kind": f"alert.{event.state}",
            "title": title,
            "body": event.message,
            "data": data,
            "category": "alert",
            "priority": "high",
        }
        rows = [(uuid5(event.alert_id, f"{event.state}:{person}"), person) for person in people]
        await uow.repos.inbox.add_notifications(rows, message)
