"""The authorization matrix through the HTTP API and PostgreSQL: every route that touches a course,
an assignment, a submission or a run, for every kind of caller — the course's teacher, the student
who owns the object, another student of the course, the owner's parent, another student's parent,
someone outside the course, no one (no token) — answers the status expected of it; and no answer
to a student or parent carries a hidden test's input or expected output."""

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.api import classroom, enrol_new, login

pytestmark = pytest.mark.integration

CALLERS = ("teacher", "owner", "classmate", "parent", "other_parent", "outsider", "anonymous")


@dataclass
class World:
    ids: dict[str, str]
    auth: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
async def world(gateway: httpx.AsyncClient) -> World:
    room = await classroom(gateway, students=2)
    (_, owner), (classmate_id, classmate) = room.students
    parents = [
        ("parent", "parent", room.students[0].email),
        ("other-parent", "parent", room.students[1].email),
    ]
    (_, parent), (_, other_parent) = await enrol_new(gateway, room.course_id, room.teacher, parents)
    _, outsider = await login(gateway, "outsider")
    body = {"assignment_id": room.assignment_id, "language": "python", "source": "print(1)"}
    submission = (await gateway.post("/v1/submissions", json=body, headers=owner)).json()["id"]
    run = (
        await gateway.post("/v1/runs", json={"language": "python", "source": "print(1)"}, headers=owner)
    ).json()["id"]
    ids = {"course": room.course_id, "assignment": room.assignment_id, "submission": submission, "run": run,
           "classmate": classmate_id}  # fmt: skip
    auth = {"teacher": room.teacher, "owner": owner, "classmate": classmate, "parent": parent,
            "other_parent": other_parent, "outsider": outsider, "anonymous": {}}  # fmt: skip
    return World(ids, auth)


# (method, path, body, the status expected for each caller, in CALLERS' order)
ROUTES: list[tuple[str, str, Any, tuple[int, ...]]] = [
    ("GET", "/v1/submissions/{submission}", None, (200, 200, 404, 200, 404, 404, 401)),
    ("GET", "/v1/assignments/{assignment}", None, (200, 200, 200, 200, 200, 404, 401)),
    ("GET", "/v1/assignments/{assignment}/submissions", None, (200, 403, 403, 403, 403, 404, 401)),
    ("GET", "/v1/courses/{course}/assignments", None, (200, 200, 200, 200, 200, 404, 401)),
    ("GET", "/v1/courses/{course}/events", None, (200, 200, 200, 200, 200, 404, 401)),
    ("GET", "/v1/runs/{run}", None, (404, 200, 404, 404, 404, 404, 401)),
    ("GET", "/v1/courses", None, (200, 200, 200, 200, 200, 200, 401)),
    ("GET", "/v1/submissions", None, (200, 200, 200, 200, 200, 200, 401)),
    ("PATCH", "/v1/courses/{course}", {"grades_to_parents": True}, (200, 403, 403, 403, 403, 404, 401)),
    ("POST", "/v1/courses/{course}/events", {"title": "t", "body": "b", "category": "exam"},
     (202, 403, 403, 403, 403, 404, 401)),
    ("POST", "/v1/courses/{course}/assignments", {"title": "t", "tests": [{"expected_stdout": "x"}]},
     (201, 403, 403, 403, 403, 404, 401)),
    ("POST", "/v1/courses/{course}/enrollments", {"user_id": "{classmate}", "role": "student"},
     (201, 403, 403, 403, 403, 404, 401)),
    ("POST", "/v1/submissions", {"assignment_id": "{assignment}", "language": "python", "source": "print(1)"},
     (403, 202, 202, 403, 403, 403, 401)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES]
)
async def test_every_route_answers_each_caller_as_expected(
    gateway: httpx.AsyncClient, world: World, method: str, path: str, body: Any, expected: tuple[int, ...]
) -> None:
    url = path.format(**world.ids)
    payload = (
        json.loads(
            json.dumps(body)
            .replace("{classmate}", world.ids["classmate"])
            .replace("{assignment}", world.ids["assignment"])
        )
        if body
        else None
    )
    answers = {}
    for caller in CALLERS:
        r = await gateway.request(method, url, json=payload, headers=world.auth[caller])
        answers[caller] = r.status_code
        if caller in ("owner", "classmate", "parent", "other_parent") and r.status_code < 300:
            _no_hidden_data(r.json())
    assert answers == dict(zip(CALLERS, expected, strict=True))


def _no_hidden_data(answer: Any) -> None:
    """No hidden test's input or expected output anywhere in a student's or parent's answer."""
    if isinstance(answer, dict):
        if answer.get("hidden") is True:
            assert answer.get("stdin") is None and answer.get("expected_stdout") is None, answer
            assert "stdout" not in answer, answer
        for value in answer.values():
            _no_hidden_data(value)
    elif isinstance(answer, list):
        for value in answer:
            _no_hidden_data(value)
