"""The envelope every message carries, as AMQP properties and headers around the event body.

Binary mode (like CloudEvents' AMQP binding): the body is the event's JSON, the metadata rides in
the message properties (message id, type, correlation id) and headers (schema version, occurred-at,
W3C trace context), so a subscriber takes the event model itself as its body type.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from opentelemetry import propagate
from pydantic import BaseModel, ConfigDict

from gradeflow_shared.events import Event
from gradeflow_shared.ids import new_id

H_VERSION = "x-schema-version"
H_OCCURRED_AT = "x-occurred-at"
H_PUBLISHED_AT = "x-published-at"
H_RETRIES = "x-retry-count"
H_ATTEMPTS = "x-attempt-history"
H_ERROR = "x-last-error"
H_ORIGIN_QUEUE = "x-original-queue"


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)
    message_id: str
    type: str
    version: int
    occurred_at: datetime
    correlation_id: str
    trace: dict[str, str]
    # Set by the consumer on the last delivery its retry policy allows: a handler may then settle a
    # failure of its own making (an Internal Error verdict, say) rather than see it dead-lettered.
    final_attempt: bool = False

    @classmethod
    def for_event(cls, event: Event, correlation_id: str | None = None) -> "Envelope":
        """A new envelope for `event`, carrying the current trace context (if any)."""
        message_id = str(new_id())
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return cls(
            message_id=message_id,
            type=event.type,
            version=event.version,
            occurred_at=datetime.now(UTC),
            correlation_id=correlation_id or message_id,
            trace=carrier,
        )

    def headers(self) -> dict[str, Any]:
        return {H_VERSION: self.version, H_OCCURRED_AT: self.occurred_at.isoformat(), **self.trace}


def header_time(headers: Mapping[str, Any], name: str) -> datetime | None:
    value = headers.get(name)
    if not value:
        return None
    try:
        found = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)  # naive: read as UTC
