"""A mail or webhook call to make and what the other end said of it, pure."""

import base64
import secrets
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
class SendResult:
    """Accepted, or refused for now (try again later) or for good."""

    outcome: Literal["sent", "temporary", "permanent"]
    detail: str = ""


@dataclass(frozen=True)
class WebhookCall:
    delivery_id: UUID
    url: str
    secret: str
    body: str  # the JSON payload, as signed


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes, base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
