"""The metrics service's errors: the common ones (not found) answer as every service's do
(gradeflow_shared.http_errors.BASE_TABLE)."""

from gradeflow_shared.errors import NotFound

__all__ = ["NotFound"]
