"""The gateway's errors: the common ones (not found, forbidden, conflict) and its own, each mapped to
one HTTP status (handlers/http/errors.py adds its own to the common table)."""

from gradeflow_shared.errors import Conflict, FieldError, Forbidden, NotFound

__all__ = ["Conflict", "Forbidden", "GatewayError", "NotFound", "Overloaded", "RosterInvalid", "TooLarge"]


class GatewayError(FieldError):
    """Base of the gateway's own errors: an input it refuses (422)."""


class TooLarge(GatewayError):
    pass


class RosterInvalid(GatewayError):
    """A roster with faulty lines: each named (line, field, message); nothing was imported."""

    def __init__(self, faults: list[dict[str, object]]) -> None:
        super().__init__(f"{len(faults)} faulty lines in the roster; nothing was imported", field="body")
        self.fields = faults


class Overloaded(GatewayError):
    """A bound is reached (the grading backlog): nothing was done; retry shortly (503)."""
