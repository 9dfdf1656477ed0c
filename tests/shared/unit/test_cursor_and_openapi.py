"""The cursor and the error documentation, pure: every string of a cursor's shape is a position (so
the schema's pattern is the whole rule), and every operation's error statuses are documented with
the one error shape, worked out from what the operation is."""

import random
import string
import uuid
from datetime import UTC, datetime

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.security import HTTPBearer

from gradeflow_shared.cursor import CURSOR_PATTERN, decode_cursor, encode_cursor
from gradeflow_shared.openapi import document_errors, errors


def test_a_cursor_round_trips_and_has_the_shape_the_schema_states() -> None:
    when, item = datetime(2026, 12, 1, 20, 30, 0, 123456, tzinfo=UTC), uuid.uuid4()
    cursor = encode_cursor(when, item)
    assert len(cursor) == 32 and decode_cursor(cursor) == (when, item)
    assert CURSOR_PATTERN == r"^[A-Za-z0-9_-]{32}$"


def test_every_string_of_a_cursors_shape_is_a_position() -> None:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "_-"
    for text in ["A" * 32, "_" * 32, "-" * 32, *("".join(rng.choices(alphabet, k=32)) for _ in range(2000))]:
        when, item = decode_cursor(text)
        assert when.tzinfo is not None and isinstance(item, uuid.UUID)


@pytest.mark.parametrize("text", ["", "A" * 31, "A" * 33, "A" * 31 + "=", "A" * 32 + "\n", "é" * 32])
def test_anything_else_is_not_a_cursor(text: str) -> None:
    with pytest.raises(ValueError):
        decode_cursor(text)


def test_each_operation_documents_its_errors_with_the_one_shape() -> None:
    app = FastAPI()
    router = APIRouter()
    bearer = HTTPBearer(auto_error=False)

    @router.get("/open")
    async def open_route() -> dict[str, str]:
        return {}

    @router.post("/things/{thing_id}", responses=errors(413), dependencies=[Depends(bearer)])
    async def secured(thing_id: uuid.UUID, body: dict[str, str]) -> dict[str, str]:
        return body

    text = {
        400: {
            "description": "Jobe's message",
            "content": {"application/json": {"schema": {"type": "string"}}},
        }
    }

    @router.post("/own", responses=text)
    async def own(body: dict[str, str]) -> dict[str, str]:
        return body

    app.include_router(router)
    document_errors(app, lambda method, path, op: {429})
    schema = app.openapi()
    opened = schema["paths"]["/open"]["get"]["responses"]
    changed = schema["paths"]["/things/{thing_id}"]["post"]["responses"]
    assert set(opened) == {"200", "429", "503"}
    assert set(changed) == {"200", "400", "401", "403", "404", "413", "422", "429", "503"}
    refs = {
        r["content"]["application/json"]["schema"]["$ref"]
        for r in changed.values()
        if r is not changed["200"]
    }
    assert refs == {"#/components/schemas/ErrorBody"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert "$defs" not in schema["components"]["schemas"]["ErrorBody"]
    own_400 = schema["paths"]["/own"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert own_400 == {"type": "string"}, "a route's own error body is kept"
