"""The gateway's error table: each domain error to one HTTP status and error code."""

from gateway.domain.errors import Conflict, Forbidden, GatewayError, NotFound, Overloaded, TooLarge
from gradeflow_shared.auth import Unauthenticated

ERROR_TABLE: dict[type[Exception], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    Forbidden: (403, "forbidden"),
    Unauthenticated: (401, "unauthenticated"),
    Conflict: (409, "conflict"),
    TooLarge: (413, "too_large"),
    Overloaded: (503, "overloaded"),
    GatewayError: (422, "invalid"),
}
