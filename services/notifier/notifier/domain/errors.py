"""The notifier's errors: the common ones (not found) and its own, each mapped to one HTTP status
(app.py adds its own to the common table)."""

from gradeflow_shared.errors import FieldError, NotFound

__all__ = ["Invalid", "NotFound", "NotifierError", "TooManyStreams"]


class NotifierError(FieldError):
    """Base of the notifier's own errors."""


class Invalid(NotifierError):
    pass


class TooManyStreams(NotifierError):
    """A replica's bound on open live streams is reached."""
