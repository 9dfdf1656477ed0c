"""A dead-lettered message as an operator reads it."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DeadLetter:
    """Why it died (the last error, every attempt), and the message as it was."""

    message_id: str
    type: str | None
    correlation_id: str | None
    error: str | None
    attempts: list[dict[str, Any]]
    headers: dict[str, Any]
    body: str
