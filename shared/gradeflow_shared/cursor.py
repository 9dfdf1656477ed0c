"""Cursor pagination's cursor, pure: where a page ended as an opaque string — the last item's
creation time and id, the order every collection is read in (newest first)."""

import base64
from datetime import datetime
from uuid import UUID


def encode_cursor(created_at: datetime, item_id: UUID) -> str:
    raw = f"{created_at.isoformat()}|{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Raises ValueError for a string this API did not give out."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    at, _, item = raw.partition("|")
    when = datetime.fromisoformat(at)
    if when.tzinfo is None:
        raise ValueError("no time zone")
    return when, UUID(item)
