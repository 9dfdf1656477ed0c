"""The authorization matrix through the HTTP API and PostgreSQL: every route of the gateway's OpenAPI
has a row — for every kind of caller (the course's teacher, the student who owns the object,
another student of the course, the owner's parent, another student's parent, someone outside the
course, no one) the status expected of it —, or is public (anyone, the same answer), or is named
with the test that checks it per caller (the notifier's routes, Jobe's keys, live streams), whose
anonymous caller is refused here all the same. A route added without any of these fails
`test_every_route_of_the_schema_has_a_row`. No answer to a student or parent carries a hidden
test's input or expected output."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
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
    key = (await gateway.post("/v1/api-keys", json={"name": "k", "scopes": ["runs"]}, headers=owner)).json()[
        "id"
    ]
    spare = await gateway.post(
        f"/v1/courses/{room.course_id}/assignments",
        json={"title": "to archive", "tests": [{"expected_stdout": "1\n"}]},
        headers=room.teacher,
    )
    regrade = await gateway.post(
        f"/v1/assignments/{room.assignment_id}/regrades", json={"scope": "all"}, headers=room.teacher
    )
    events = [
        await gateway.post(
            f"/v1/courses/{room.course_id}/events",
            json={"title": f"Exam {i}", "body": "Room 4", "category": "exam"},
            headers=room.teacher,
        )
        for i in (1, 2)
    ]
    [(leaver, _)] = await enrol_new(gateway, room.course_id, room.teacher, [("leaver", "student")])
    ids = {"course": room.course_id, "assignment": room.assignment_id, "submission": submission, "run": run,
           "classmate": classmate_id, "key": key, "spare": spare.json()["id"],
           "regrade": regrade.json()["id"], "event": events[0].json()["id"], "event2": events[1].json()["id"],
           "leaver": leaver}  # fmt: skip
    auth = {"teacher": room.teacher, "owner": owner, "classmate": classmate, "parent": parent,
            "other_parent": other_parent, "outsider": outsider, "anonymous": {}}  # fmt: skip
    return World(ids, auth)


ANYONE_SIGNED_IN = (200, 200, 200, 200, 200, 200, 401)
ADMINS_ONLY = (403, 403, 403, 403, 403, 403, 401)
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
    ("GET", "/v1/courses/{course}/enrollments", None, (200, 403, 403, 403, 403, 404, 401)),
    ("POST", "/v1/courses/{course}/roster", "roster", (200, 403, 403, 403, 403, 404, 401)),
    ("PATCH", "/v1/assignments/{assignment}", {"title": "Renamed"}, (200, 403, 403, 403, 403, 404, 401)),
    ("DELETE", "/v1/assignments/{spare}", None, (204, 403, 403, 403, 403, 404, 401)),
    ("GET", "/v1/courses/{course}/assignments?archived=true", None, (200, 403, 403, 403, 403, 404, 401)),
    ("POST", "/v1/assignments/{assignment}/regrades", {"scope": "latest"}, (202, 403, 403, 403, 403, 404, 401)),
    ("POST", "/v1/submissions/{submission}/regrades", None, (202, 403, 403, 403, 403, 404, 401)),
    ("GET", "/v1/regrades/{regrade}", None, (200, 404, 404, 404, 404, 404, 401)),
    # Not graded here (no grader): the teacher gets as far as "nothing to override".
    ("PUT", "/v1/submissions/{submission}/override", {"score": 1, "reason": "late day granted"},
     (422, 403, 403, 403, 403, 404, 401)),
    ("DELETE", "/v1/submissions/{submission}/override", None, (204, 403, 403, 403, 403, 404, 401)),
    ("GET", "/v1/submissions/{submission}/grades", None, (200, 200, 404, 200, 404, 404, 401)),
    ("GET", "/v1/courses/{course}/gradebook", None, (200, 403, 403, 403, 403, 404, 401)),
    ("GET", "/v1/courses/{course}/gradebook.csv", None, (200, 403, 403, 403, 403, 404, 401)),
    ("PATCH", "/v1/courses/{course}/events/{event}", {"title": "Exam 1, room 5"},
     (200, 403, 403, 403, 403, 404, 401)),
    ("DELETE", "/v1/courses/{course}/events/{event2}", None, (204, 403, 403, 403, 403, 404, 401)),
    ("DELETE", "/v1/courses/{course}/enrollments/{leaver}", None, (204, 403, 403, 403, 403, 404, 401)),
    ("GET", "/v1/users/me", None, ANYONE_SIGNED_IN),
    ("POST", "/v1/courses", {"title": "Mine"}, (201,) * 6 + (401,)),
    ("GET", "/v1/users", None, ADMINS_ONLY),
    ("POST", "/v1/runs", {"language": "python", "source": "print(1)"}, (202, 202, 202, 202, 202, 202, 401)),
    ("GET", "/v1/api-keys", None, ANYONE_SIGNED_IN),
    ("POST", "/v1/api-keys", {"name": "k", "scopes": ["runs"]}, (201, 201, 201, 201, 201, 201, 401)),
    ("DELETE", "/v1/api-keys/{key}", None, (404, 204, 404, 404, 404, 404, 401)),
    ("PUT", "/v1/api-keys/{key}/runs-rate", {"runs": 0, "per": "hour"}, ADMINS_ONLY),
    ("GET", "/judge0/submissions/{run}", None, (404, 200, 404, 404, 404, 404, 401)),
    ("GET", "/judge0/submissions/batch?tokens={run}", None, (404, 200, 404, 404, 404, 404, 401)),
    ("GET", "/judge0/submissions", None, ANYONE_SIGNED_IN),
    ("POST", "/judge0/submissions", {"source_code": "print(1)", "language_id": 71}, (201,) * 6 + (401,)),
    ("POST", "/judge0/submissions/batch", {"submissions": [{"source_code": "print(1)", "language_id": 71}]},
     (201,) * 6 + (401,)),
    ("DELETE", "/judge0/submissions/{run}", None, (404, 409, 404, 404, 404, 404, 401)),
    ("GET", "/judge0/system_info", None, ANYONE_SIGNED_IN),
    ("GET", "/judge0/workers", None, ANYONE_SIGNED_IN),
    ("GET", "/judge0/statistics", None, ADMINS_ONLY),
    ("GET", "/v1/lti/platforms", None, ADMINS_ONLY),
    ("POST", "/v1/lti/keys/rotate", None, ADMINS_ONLY),
    # No LMS launched into this course: its teacher is told there is no roster to sync (409).
    ("POST", "/v1/courses/{course}/lti/roster-sync", None, (409, 403, 403, 403, 403, 404, 401)),
    ("POST", "/v1/lti/platforms", {"name": "LMS", "issuer": "https://lms.example", "client_id": "c",
     "deployment_ids": ["1"], "auth_login_url": "https://lms.example/auth",
     "auth_token_url": "https://lms.example/token", "key_set_url": "https://lms.example/jwks"}, ADMINS_ONLY),
    ("POST", "/judge0/authenticate", None, ANYONE_SIGNED_IN),
    ("POST", "/judge0/authorize", None, ANYONE_SIGNED_IN),
]  # fmt: skip

# Anyone, signed in or not, gets the same answer: nothing in them is anyone's.
PUBLIC = {
    ("GET", "/judge0/languages"), ("GET", "/judge0/statuses"), ("GET", "/judge0/languages/all"),
    ("GET", "/judge0/languages/{language_id}"), ("GET", "/judge0/about"), ("GET", "/judge0/version"),
    ("GET", "/judge0/license"), ("GET", "/judge0/isolate"), ("GET", "/judge0/config_info"),
    ("GET", "/jobe/index.php/restapi/languages"), ("GET", "/.well-known/jwks.json"),
    ("GET", "/health/live"), ("GET", "/health/ready"), ("GET", "/metrics"), ("GET", "/asyncapi.json"),
    ("POST", "/v1/auth/dev-login"), ("GET", "/lti/config"), ("GET", "/lti/jwks.json"),
}  # fmt: skip
# Checked per caller elsewhere (the caller's own objects, behind another service or another
# credential); here only that no one anonymous gets through.
ELSEWHERE = {
    ("GET", "/v1/notifications"): "tests/e2e/test_inbox_through_the_gateway.py",
    ("GET", "/v1/notifications/stream"): "tests/e2e/test_inbox_through_the_gateway.py",
    ("POST", "/v1/notifications/{notification_id}/read"): "tests/e2e/test_inbox_through_the_gateway.py",
    ("POST", "/v1/notifications/read-all"): "tests/e2e/test_inbox_through_the_gateway.py",
    ("GET", "/v1/preferences"): "tests/notifier/integration/test_inbox.py",
    ("PUT", "/v1/preferences"): "tests/notifier/integration/test_inbox.py",
    ("GET", "/v1/webhooks"): "tests/notifier/integration/test_webhooks.py",
    ("POST", "/v1/webhooks"): "tests/notifier/integration/test_webhooks.py",
    ("DELETE", "/v1/webhooks/{webhook_id}"): "tests/notifier/integration/test_webhooks.py",
    ("POST", "/jobe/index.php/restapi/runs"): "tests/e2e/test_jobe.py (per API key)",
    ("PUT", "/jobe/index.php/restapi/files/{file_id}"): "tests/e2e/test_jobe.py (files per key's user)",
    ("HEAD", "/jobe/index.php/restapi/files/{file_id}"): "tests/e2e/test_jobe.py (files per key's user)",
    ("GET", "/v1/submissions/{submission_id}/events"): "tests/e2e/test_live_results.py",
    # An LTI platform's browser: the id_token it brings is the credential.
    ("GET", "/lti/login"): "tests/gateway/integration/test_lti.py",
    ("POST", "/lti/login"): "tests/gateway/integration/test_lti.py",
    ("POST", "/lti/launch"): "tests/gateway/integration/test_lti.py",
    ("POST", "/lti/deep-link"): "tests/gateway/integration/test_lti.py",
}


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES]
)
async def test_every_route_answers_each_caller_as_expected(
    gateway: httpx.AsyncClient, world: World, method: str, path: str, body: Any, expected: tuple[int, ...]
) -> None:
    url = path.format(**world.ids)
    payload = (
        None
        if body == "roster"
        else json.loads(
            json.dumps(body)
            .replace("{classmate}", world.ids["classmate"])
            .replace("{assignment}", world.ids["assignment"])
        )
        if body
        else None
    )
    answers = {}
    for caller in CALLERS:
        if body == "roster":
            csv = f"name,email,role,child_email\nNew,{uuid.uuid4().hex}@example.com,student,\n"
            headers = {**world.auth[caller], "Content-Type": "text/csv"}
            r = await gateway.request(method, url, content=csv.encode(), headers=headers)
        else:
            r = await gateway.request(method, url, json=payload, headers=world.auth[caller])
        answers[caller] = r.status_code
        if caller in ("owner", "classmate", "parent", "other_parent") and r.status_code < 300 and r.content:
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


def _operations() -> set[tuple[str, str]]:
    settings = GatewaySettings(
        environment="test", auth_secret="s" * 40, database_url="postgresql+asyncpg://u:p@127.0.0.1:1/none"
    )
    schema = create_app(settings).openapi()
    return {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}


def _template(path: str) -> str:
    """A row's path as the schema names it: `{run}` → the route's own parameter, no query."""
    path = path.split("?")[0]
    for name, param in (("{course}", "{course_id}"), ("{assignment}", "{assignment_id}"),
                        ("{spare}", "{assignment_id}"), ("{regrade}", "{regrade_id}"),
                        ("{event}", "{event_id}"), ("{event2}", "{event_id}"), ("{leaver}", "{user_id}"),
                        ("{submission}", "{submission_id}"), ("{key}", "{key_id}")):  # fmt: skip
        path = path.replace(name, param)
    return path.replace("/judge0/submissions/{run}", "/judge0/submissions/{token}").replace(
        "{run}", "{run_id}"
    )


def test_every_route_of_the_schema_has_a_row() -> None:
    covered = {(m, _template(p)) for m, p, _, _ in ROUTES} | PUBLIC | set(ELSEWHERE)
    missing = _operations() - covered
    assert not missing, f"routes without a row, a public mark or a test named for them: {sorted(missing)}"


@pytest.mark.parametrize(
    ("method", "path"), sorted(ELSEWHERE), ids=[f"{m} {p}" for m, p in sorted(ELSEWHERE)]
)
async def test_no_anonymous_caller_gets_through_a_route_checked_elsewhere(
    gateway: httpx.AsyncClient, method: str, path: str
) -> None:
    url = path.replace("{notification_id}", str(uuid.uuid4())).replace("{webhook_id}", str(uuid.uuid4()))
    url = url.replace("{file_id}", "abcdef0123456789").replace("{submission_id}", str(uuid.uuid4()))
    r = await gateway.request(method, url, json={} if method in ("POST", "PUT") else None)
    assert r.status_code == 401, (method, path, r.status_code)


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC), ids=[f"{m} {p}" for m, p in sorted(PUBLIC)])
async def test_a_public_route_answers_anyone_alike(
    gateway: httpx.AsyncClient, world: World, method: str, path: str
) -> None:
    if method != "GET":
        return  # logging in is for anyone by definition: its own tests (test_dev_login.py)
    url = path.replace("{language_id}", "71")
    anonymous = await gateway.get(url)
    signed_in = await gateway.get(url, headers=world.auth["owner"])
    assert anonymous.status_code == signed_in.status_code and anonymous.status_code < 400, (
        url,
        anonymous.text[:200],
    )
