"""A mail to send and what the mail server said of it, pure."""

from dataclasses import dataclass
from typing import Literal
from uuid import UUID


@dataclass(frozen=True)
class Mail:
    delivery_id: UUID
    to: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class MailResult:
    """Accepted, or refused for now (4xx, the connection lost: try again later) or for good (5xx)."""

    outcome: Literal["sent", "temporary", "permanent"]
    detail: str = ""
