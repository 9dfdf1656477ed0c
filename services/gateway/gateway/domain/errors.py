"""The gateway's errors; handlers/http/errors.py maps each to one HTTP status."""

from gradeflow_shared.errors import GradeflowError


class GatewayError(GradeflowError):
    """Base of the gateway's own errors. `field` names the input at fault, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(GatewayError):
    pass


class Forbidden(GatewayError):
    pass


class Conflict(GatewayError):
    pass
