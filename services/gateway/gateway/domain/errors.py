"""The gateway's errors; handlers/http/errors.py maps each to one HTTP status."""

from gradeflow_shared.errors import FieldError


class GatewayError(FieldError):
    """Base of the gateway's own errors."""


class NotFound(GatewayError):
    pass


class Forbidden(GatewayError):
    pass


class Conflict(GatewayError):
    pass


class TooLarge(GatewayError):
    pass


class RosterInvalid(GatewayError):
    """A roster with faulty lines: each named (line, field, message); nothing was imported."""

    def __init__(self, faults: list[dict[str, object]]) -> None:
        super().__init__(f"{len(faults)} faulty lines in the roster; nothing was imported", field="body")
        self.fields = faults


class Overloaded(GatewayError):
    """A bound is reached (the grading backlog): nothing was done; retry shortly (503)."""
