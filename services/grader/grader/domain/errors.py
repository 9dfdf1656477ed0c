"""The grader's errors: one base; what the settling middleware does with each follows from the shared
table (gradeflow_shared.errors): transient ones are retried, permanent ones dead-lettered."""

from gradeflow_shared.errors import GradeflowError, PermanentError, TransientError


class GraderError(GradeflowError):
    """Base of the grader's own errors."""


class SandboxError(GraderError, TransientError):
    """The sandbox itself failed (not the program): worth a retry, and an Internal Error verdict
    when retries are exhausted."""


class UnsupportedLanguage(GraderError, PermanentError):
    """A language the grader does not run: retrying cannot help."""


class SuiteNotReceived(GraderError, TransientError):
    """The assignment's test suite travels in its own event and may not have been copied yet."""


class InvalidRun(GraderError, PermanentError):
    """A run's files, arguments or compiler options cannot be used as given (a file name that is a
    path, an option off the allow-list): the gateway refuses these first; this is the second check."""
