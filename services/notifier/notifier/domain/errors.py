"""The notifier's errors; app.py maps each to one HTTP status."""

from gradeflow_shared.errors import FieldError


class NotifierError(FieldError):
    """Base of the notifier's own errors."""


class NotFound(NotifierError):
    pass


class Invalid(NotifierError):
    pass


class TooManyStreams(NotifierError):
    """A replica's bound on open live streams is reached."""
