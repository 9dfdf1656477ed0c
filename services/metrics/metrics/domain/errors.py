"""The metrics service's errors; app.py maps each to one HTTP status."""

from gradeflow_shared.errors import GradeflowError


class MetricsError(GradeflowError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(MetricsError):
    pass
