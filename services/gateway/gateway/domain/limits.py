"""Rate limits, pure: which class a request is in, what a class allows, and what a bucket said."""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    capacity: int  # requests at most in any window of `period_seconds`
    period_seconds: float

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """`100/60`: a hundred requests per sixty seconds."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", text)
        if not match or int(match[1]) < 1 or float(match[2]) <= 0:
            raise ValueError(f"a rate is REQUESTS/SECONDS, such as 100/60 (not {text!r})")
        return cls(int(match[1]), float(match[2]))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until a request would be allowed again
    reset: int  # seconds until the window's oldest request leaves it


ROUTE_CLASSES = ("runs", "submissions", "writes", "reads")

# A code run is the expensive thing a client can ask for: the gateway's own and Judge0's.
_RUNS = ("/v1/runs", "/judge0/submissions", "/judge0/submissions/batch", "/jobe/index.php/restapi/runs")


def route_class(method: str, path: str) -> str:
    """runs (a program run on request), submissions, writes (any other change), reads."""
    if method == "POST" and path.rstrip("/") in _RUNS:
        return "runs"
    if method == "POST" and path.rstrip("/") == "/v1/submissions":
        return "submissions"
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        return "writes"
    return "reads"


# Request bodies, bounded per route before a byte is read (docs/api.md states them): the largest a
# school needs, and no more. Every other body is small (a submission's source is 64 KiB at most).
MiB = 1024 * 1024
DEFAULT_BODY_BYTES = 1 * MiB
_BODIES = (
    (re.compile(r"/v1/courses/[^/]+/roster/?"), 32 * MiB),  # 100,000 lines are about 6 MB
    (re.compile(r"/v1/courses/[^/]+/assignments/?"), 16 * MiB),  # its tests: 8 MiB of text at most
    (re.compile(r"/v1/runs/?"), 16 * MiB),  # 8 MiB of files, in base-64, and its stdin
    (re.compile(r"/judge0/submissions(/batch)?/?"), 16 * MiB),
    (re.compile(r"/jobe/index\.php/restapi/runs/?"), 16 * MiB),
)
JOBE_FILES = re.compile(r"/jobe/index\.php/restapi/files/[^/]*")
# Writes an anonymous caller may send: logging in, and Judge0's checks of a token.
# Writes anyone may send: a login, and an LTI platform's login initiation and launch (their
# caller is the platform's browser; the id_token, or the choice's signed selection, is checked).
PUBLIC_WRITES = frozenset(
    {
        "/v1/auth/dev-login",
        "/judge0/authenticate",
        "/judge0/authorize",
        "/lti/login",
        "/lti/launch",
        "/lti/deep-link",
    }
)


def body_limit(path: str, jobe_file_bytes: int) -> int:
    """The most bytes a request to `path` may send (a Jobe file travels in base-64)."""
    if JOBE_FILES.fullmatch(path):
        return jobe_file_bytes * 4 // 3 + 4096
    for pattern, limit in _BODIES:
        if pattern.fullmatch(path):
            return limit
    return DEFAULT_BODY_BYTES


def needs_caller(method: str, path: str) -> bool:
    """A write the caller must be authenticated for: checked before its body is read."""
    return method in ("POST", "PUT", "PATCH", "DELETE") and path.rstrip("/") not in PUBLIC_WRITES
