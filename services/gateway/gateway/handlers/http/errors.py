"""The gateway's error table: each of its own errors to one HTTP status and error code; and the statuses
its middleware adds to every route, for the OpenAPI schema."""

from typing import Any

from gateway.domain.errors import GatewayError, Overloaded, TooLarge
from gradeflow_shared.outbox import EventTooLarge

# Beside the common table (gradeflow_shared.http_errors.BASE_TABLE: not found, forbidden, conflict,
# unauthenticated).
ERROR_TABLE: dict[type[Exception], tuple[int, str]] = {
    TooLarge: (413, "too_large"),
    EventTooLarge: (413, "too_large"),
    Overloaded: (503, "overloaded"),
    GatewayError: (422, "invalid"),
}


def door_errors(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    """What the door's middleware adds to every route's own statuses: any route class can be
    rate-limited (RATE_LIMITS), and every change takes an Idempotency-Key (409 while the first
    is in flight, 422 when reused with another body, 413 past the body it keeps)."""
    codes = {429}
    if method in ("post", "put", "patch"):
        codes |= {409, 413, 422}
    return codes
