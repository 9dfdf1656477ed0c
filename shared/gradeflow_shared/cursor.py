"""Cursor pagination's cursor, pure: where a page ended as an opaque string — the last item's
creation time and id, the order every collection is read in (newest first).

Fixed-width on purpose: 8 bytes of microseconds since the epoch and the 16 bytes of the id, in
URL-safe base64 (32 characters). So every string of that shape is a position in a collection —
which the OpenAPI schema can state as a pattern, and a client (or a schema-driven fuzzer) can
never send a schema-valid cursor that is refused; anything else is named as not a cursor."""

import base64
import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{32}$"
_SHAPE = re.compile(CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Positions outside what a datetime holds are taken as the earliest or latest there is.
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def encode_cursor(created_at: datetime, item_id: UUID) -> str:
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    raw = micros.to_bytes(8, "big", signed=True) + item_id.bytes
    return base64.urlsafe_b64encode(raw).decode()  # 24 bytes: 32 characters, no padding


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Raises ValueError for a string not of a cursor's shape."""
    if not _SHAPE.fullmatch(cursor):
        raise ValueError("not a cursor")
    raw = base64.urlsafe_b64decode(cursor)
    micros = int.from_bytes(raw[:8], "big", signed=True)
    try:
        when = max(_EARLIEST, min(_LATEST, _EPOCH + timedelta(microseconds=micros)))
    except OverflowError:
        when = _EARLIEST if micros < 0 else _LATEST
    return when, UUID(bytes=raw[8:])
