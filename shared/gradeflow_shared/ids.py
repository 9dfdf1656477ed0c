"""Time-ordered identifiers (UUIDv7) for messages and rows: sortable, index-friendly, unique."""

import uuid

import uuid_utils


def new_id() -> uuid.UUID:
    """A fresh UUIDv7 as a standard-library UUID (so pydantic and SQLAlchemy take it as is)."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)
