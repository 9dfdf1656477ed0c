"""The inbox's cursor: where a page ended (or a live stream got to) — the last notification's time
and id, the order the inbox is read in; a string the API did not give out is named."""

from datetime import datetime
from uuid import UUID

from gradeflow_shared.cursor import decode_cursor as _decode
from gradeflow_shared.cursor import encode_cursor
from notifier.domain.errors import Invalid

__all__ = ["decode_cursor", "encode_cursor"]


def decode_cursor(cursor: str, field: str = "cursor") -> tuple[datetime, UUID]:
    try:
        return _decode(cursor)
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise Invalid("not a cursor this API gave out", field=field) from exc
