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
