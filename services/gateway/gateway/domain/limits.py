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
