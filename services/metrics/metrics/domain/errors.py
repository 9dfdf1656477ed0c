"""The metrics service's errors; app.py maps each to one HTTP status."""

from gradeflow_shared.errors import FieldError


class MetricsError(FieldError):
    """Base of the metrics service's own errors."""


class NotFound(MetricsError):
    pass
