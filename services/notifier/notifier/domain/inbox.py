"""The inbox's cursor, pure: where a page ended (or a live stream got to) as an opaque string —
the last notification's time and id, the order the inbox is read in."""

import base64
from datetime import datetime
from uuid import UUID

from notifier.domain.errors import Invalid


def encode_cursor(created_at: datetime, notification_id: UUID) -> str:
    raw = f"{created_at.isoformat()}|{notification_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, field: str = "cursor") -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, notification = raw.partition("|")
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("no time zone")
        return when, UUID(notification)
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise Invalid("not a cursor this API gave out", field=field) from exc
