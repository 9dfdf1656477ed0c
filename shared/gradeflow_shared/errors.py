"""Errors every service shares — the base of each service's own, the HTTP errors every API answers
(http_errors.BASE_TABLE gives their statuses) — and the one table that says what a consumer does
with each."""

from typing import Literal

from pydantic import ValidationError


class GradeflowError(Exception):
    """Base of every error this project raises on purpose."""


class FieldError(GradeflowError):
    """An error about a request, which `field` names when one input is at fault: HTTP answers
    carry both (http_errors.py)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(FieldError):
    """What the request names does not exist, or not for this caller (404)."""


class Forbidden(FieldError):
    """Authenticated, but not allowed to do this (403)."""


class Conflict(FieldError):
    """At odds with the current state of what it names (409)."""


class Unauthenticated(FieldError):
    """No valid credentials (401): the Authorization header is at fault."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="Authorization")


class PermanentError(GradeflowError):
    """The message can never succeed (bad content, unknown reference that will never exist)."""


class TransientError(GradeflowError):
    """The message may succeed later (a dependency is down, a referenced row has not arrived yet)."""


class Unavailable(TransientError):
    """A dependency (the database, the broker) cannot be reached: the request is refused whole,
    nothing was committed; an HTTP client is told to retry shortly (503), a message is retried."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


Disposition = Literal["retry", "dead_letter"]

# Read top to bottom; the first matching class decides. Anything unlisted is treated as transient:
# retrying a bug a few times costs little, dead-lettering a blip loses work until someone replays it.
DISPOSITIONS: tuple[tuple[type[BaseException], Disposition], ...] = (
    (ValidationError, "dead_letter"),
    (PermanentError, "dead_letter"),
    (TransientError, "retry"),
    (Exception, "retry"),
)


def disposition(exc: BaseException) -> Disposition:
    for cls, action in DISPOSITIONS:
        if isinstance(exc, cls):
            return action
    return "retry"
