"""Every error a service's API answers, documented in its OpenAPI schema with the one error shape
(http_errors.py): worked out per operation from what the operation is — secured, with path
parameters, with a body, a change — so a route added later is documented like the rest, and a
client generated from the schema knows each status it may meet.

A route declares only what is particular to it (`responses=errors(413)`, say); the rest is added
here. 500 is never documented: an internal error is a bug, not part of the contract."""

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "No credentials, or credentials not valid (expired, unknown signing key, another audience)",
    403: "Authenticated, but not allowed: not the caller's role here, or outside an API key's scopes",
    404: "Not found, or not the caller's to see",
    409: "Conflicts with the current state, or a request with the same Idempotency-Key is in flight",
    413: "The body is too large",
    422: "A field is not valid (each named), or an Idempotency-Key reused with another body",
    429: "Over a rate limit: see Retry-After and the RateLimit-* headers",
    503: "Overloaded or a dependency is unavailable; retry after Retry-After seconds",
}


class FieldError(BaseModel):
    field: str = Field(description="The field at fault: `source`, `tests.2.stdin`, `cursor`, `header`…")
    message: str
    line: int | None = Field(default=None, description="For a CSV body: the line at fault")


class ErrorBody(BaseModel):
    error: str = Field(description="A stable code: `not_found`, `validation_failed`, `rate_limited`…")
    message: str
    fields: list[FieldError]


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """A route's own error statuses, for `responses=`."""
    return {code: {"description": DESCRIPTIONS[code], "model": ErrorBody} for code in codes}


Rule = Callable[[str, str, dict[str, Any]], Iterable[int]]


def standard_codes(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    """What any operation of these services may answer, from its shape."""
    codes = {503}  # the in-flight bound and an unreachable database reach every route
    params = operation.get("parameters", [])
    if params or "requestBody" in operation:
        codes.add(422)
    body = operation.get("requestBody", {}).get("content", {})
    if "application/json" in body:
        codes.add(400)
    if operation.get("security"):
        codes |= {401, 403}
    if any(p.get("in") == "path" for p in params):
        codes.add(404)
    return codes


def document_errors(app: FastAPI, *rules: Rule) -> None:
    """Make `app.openapi()` list each operation's error statuses with ErrorBody; `rules` add a
    service's own (the gateway's rate limits and idempotency keys)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (FieldError, ErrorBody):
            component = model.model_json_schema(ref_template="#/components/schemas/{model}")
            component.pop("$defs", None)  # FieldError is a component of its own
            components[model.__name__] = component
        # FastAPI's own validation error shape is not what these services answer.
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                codes = standard_codes(method, path, operation)
                for rule in rules:
                    codes |= set(rule(method, path, operation))
                responses = operation.setdefault("responses", {})
                for code in sorted(codes):
                    responses.setdefault(str(code), {"description": DESCRIPTIONS[code]})
                for code, response in responses.items():
                    declared = response.get("content", {}).get("application/json", {}).get("schema", {})
                    framework = declared.get("$ref", "").endswith("/HTTPValidationError")
                    if code.startswith(("4", "5")) and (not declared or framework):
                        response["content"] = ref  # unless the route says its own (Jobe's are strings)
                        response.setdefault("description", DESCRIPTIONS.get(int(code), "Error"))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
