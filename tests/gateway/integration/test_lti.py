"""Gradeflow as an LTI 1.3 tool, launched by a platform that is not this project's
(tests/support/lti_platform.py: lti1p3platform's registration, launch messages and signing; its
keys on a real HTTP server on 127.0.0.1) through the gateway, PostgreSQL and the broker: an admin
registers the platform, a teacher's launch makes the course, students and a mentor land in it in
their roles, and every hostile launch — replayed, for another audience, signed by an unknown key,
expired, without a registered deployment, HS256, a forged state, another login's nonce — is
refused naming the claim at fault, signing no one in."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.adapters.lti import PlatformKeys
from gateway.app import create_app
from gradeflow_shared.events import SubmissionGraded
from tests.gateway.integration.conftest import gateway_settings
from tests.support.api import bearer, fresh_email, login
from tests.support.apps import serving
from tests.support.events import publish
from tests.support.infra import Infra
from tests.support.lti_platform import (
    AUTHORIZE_URL,
    DEEP_LINK_RETURN_URL,
    INSTRUCTOR,
    LEARNER,
    MENTOR,
    Lms,
    Person,
    authorized,
    forms,
    landed,
    launch,
    serving_platform,
)

pytestmark = pytest.mark.integration

ADMIN = "lti-admin@example.com"
TOOL = "http://test"  # the gateway as the in-process client reaches it


@pytest.fixture(scope="module")
async def gateway(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(gateway_settings(infra, admin_emails=(ADMIN,)))) as client:
        yield client


@pytest.fixture
def lms() -> Iterator[Lms]:
    with serving_platform(Lms(f"{TOOL}/lti/login", f"{TOOL}/lti/launch")) as served:
        yield served


@pytest.fixture
async def registered(gateway: httpx.AsyncClient, lms: Lms) -> Lms:
    _, admin = await login(gateway, "admin", ADMIN)
    r = await gateway.post("/v1/lti/platforms", json=lms.registered(), headers=admin)
    assert r.status_code == 201, r.text
    lms.trust((await gateway.get("/lti/jwks.json")).json())
    again = await gateway.post("/v1/lti/platforms", json=lms.registered(), headers=admin)
    assert again.status_code == 409 and again.json()["fields"][0]["field"] == "client_id", again.text
    return lms


def _person(
    roles: list[str], name: str, email: str | None = None, mentees: list[str] | None = None
) -> Person:
    return Person(f"sub-{uuid.uuid4().hex[:10]}", roles, name, email or fresh_email(name), mentees or [])


async def test_only_an_admin_registers_a_platform(gateway: httpx.AsyncClient, lms: Lms) -> None:
    _, someone = await login(gateway, "someone")
    r = await gateway.post("/v1/lti/platforms", json=lms.registered(), headers=someone)
    assert r.status_code == 403, r.text
    _, admin = await login(gateway, "admin", ADMIN)
    bad = {**lms.registered(), "key_set_url": "file:///etc/passwd"}
    r = await gateway.post("/v1/lti/platforms", json=bad, headers=admin)
    assert r.status_code == 422 and "key_set_url" in r.text, r.text
    config = (await gateway.get("/lti/config")).json()
    assert config == {
        "login_url": f"{TOOL}/lti/login",
        "launch_url": f"{TOOL}/lti/launch",
        "key_set_url": f"{TOOL}/lti/jwks.json",
    }


async def test_a_courses_members_launch_into_it_each_in_their_role(
    gateway: httpx.AsyncClient, registered: Lms
) -> None:
    lms = registered
    context = (f"ctx-{uuid.uuid4().hex[:8]}", "Algorithms 101")
    teacher = _person([INSTRUCTOR, LEARNER], "Teacher")  # an instructor who is also a learner teaches
    _, page = await launch(gateway, lms, teacher, context)
    first = landed(page)
    assert first["role"] == "teacher", first
    as_teacher = bearer(first["token"])
    courses = (await gateway.get("/v1/courses", headers=as_teacher)).json()["items"]
    assert [(c["id"], c["title"], c["role"]) for c in courses] == [
        (first["course_id"], "Algorithms 101", "teacher")
    ]
    # The teacher's assignment, named by the link's custom parameter, is where students land.
    body = {"title": "Sum", "tests": [{"stdin": "1 2\n", "expected_stdout": "3\n", "weight": 1}]}
    made = await gateway.post(f"/v1/courses/{first['course_id']}/assignments", json=body, headers=as_teacher)
    assert made.status_code == 201, made.text
    assignment_id = made.json()["id"]

    # A student whose email is an existing account's is not bound to that account.
    taken_email = fresh_email("taken")
    owner_id, _ = await login(gateway, "owner", taken_email)
    students = [_person([LEARNER], f"Student {i}") for i in range(3)]
    students.append(_person([LEARNER], "Same email", taken_email))
    landings = []
    for student in students:
        _, page = await launch(gateway, lms, student, context, custom={"assignment_id": assignment_id})
        landings.append(landed(page))
    assert {p["course_id"] for p in landings} == {first["course_id"]}
    assert [p["role"] for p in landings] == ["student"] * 4
    assert [p["assignment_id"] for p in landings] == [assignment_id] * 4
    me = await gateway.get("/v1/users/me", headers=bearer(landings[-1]["token"]))
    assert me.status_code == 200 and me.json()["id"] != owner_id and me.json()["email"] != taken_email, (
        me.text
    )

    # The same student again: the same user, still one enrollment.
    _, page = await launch(gateway, lms, students[0], context)
    assert landed(page)["token"] and _user(landed(page)) == _user(landings[0])
    members = await gateway.get(f"/v1/courses/{first['course_id']}/enrollments", headers=as_teacher)
    roles = sorted(m["role"] for m in members.json()["items"])
    assert roles == ["student"] * 4 + ["teacher"], members.text

    # A mentor of two students lands as the parent who follows them.
    mentor = _person([MENTOR], "Mentor", mentees=[students[0].subject, students[1].subject])
    _, page = await launch(gateway, lms, mentor, context)
    parent = landed(page)
    assert parent["role"] == "parent", parent
    members = await gateway.get(
        f"/v1/courses/{first['course_id']}/enrollments?role=parent", headers=as_teacher
    )
    [row] = members.json()["items"]
    assert sorted(row["children"]) == sorted([_user(landings[0]), _user(landings[1])]), row

    # Another context of the platform is another course.
    _, page = await launch(gateway, lms, teacher, (f"ctx-{uuid.uuid4().hex[:8]}", "Other"))
    assert landed(page)["course_id"] != first["course_id"]


def _user(fields: dict[str, str]) -> str:
    return str(jwt.decode(fields["token"], options={"verify_signature": False})["sub"])


def _changed(claims: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = {k: v for k, v in claims.items() if k not in changes or changes[k] is not None}
    out.update({k: v for k, v in changes.items() if v is not None})
    return out


DEPLOYMENT = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"


async def test_hostile_launches_are_refused_naming_the_claim(
    gateway: httpx.AsyncClient, registered: Lms
) -> None:
    lms = registered
    person = _person([LEARNER], "Mallory")
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())

    async def attempt(forge: Any) -> httpx.Response:
        """A fresh login, the platform's own launch for it, then `forge`d: (id_token, state)."""
        authorization = await authorized(gateway, lms, person)
        form = lms.launch_message(authorization, person, ("ctx-hostile", "H"), "link-h", {})
        token, state = forge(form["id_token"], form["state"], lms.claims(form["id_token"]))
        return await gateway.post("/lti/launch", data={"id_token": token, "state": state})

    cases = {
        "another audience": (lambda t, s, c: (lms.sign(_changed(c, aud="another-tool")), s), "aud"),
        "an unknown key": (lambda t, s, c: (lms.sign(c, other_key, kid="not-theirs"), s), "kid"),
        "the platform's kid, another key": (lambda t, s, c: (lms.sign(c, other_key), s), "id_token"),
        "expired": (lambda t, s, c: (lms.sign(_changed(c, iat=now - 3600, exp=now - 600)), s), "exp"),
        "no deployment_id": (lambda t, s, c: (lms.sign(_changed(c, **{DEPLOYMENT: None})), s), DEPLOYMENT),
        "an unregistered deployment": (
            lambda t, s, c: (lms.sign(_changed(c, **{DEPLOYMENT: "deployment-9"})), s),
            DEPLOYMENT,
        ),
        "HS256 with the public key": (
            lambda t, s, c: (jwt.encode(c, "public-key-as-secret" * 4, algorithm="HS256"), s),
            "alg",
        ),
        "a forged state": (
            lambda t, s, c: (t, jwt.encode({"nonce": c["nonce"]}, "guess" * 8, algorithm="HS256")),
            "state",
        ),
        "not a JWT": (lambda t, s, c: ("not.a.jwt", s), "id_token"),
    }
    for name, (forge, claim) in cases.items():
        r = await attempt(forge)
        assert r.status_code == 401 and r.json()["fields"][0]["field"] == claim, (name, r.text)

    # Another login's nonce: the token of one login with the state of the next.
    first = await authorized(gateway, lms, person)
    form = lms.launch_message(first, person, ("ctx-hostile", "H"), "link-h", {})
    second = await authorized(gateway, lms, person)
    r = await gateway.post("/lti/launch", data={"id_token": form["id_token"], "state": second["state"]})
    assert r.status_code == 401 and r.json()["fields"][0]["field"] == "nonce", r.text

    # Replayed: the first post lands, the same post again is refused.
    authorization = await authorized(gateway, lms, person)
    form = lms.launch_message(authorization, person, ("ctx-hostile", "H"), "link-h", {})
    fields = {"id_token": form["id_token"], "state": form["state"]}
    assert (await gateway.post("/lti/launch", data=fields)).status_code == 200
    replayed = await gateway.post("/lti/launch", data=fields)
    assert replayed.status_code == 401 and replayed.json()["fields"][0]["field"] == "nonce", replayed.text

    # A login from an issuer no admin registered goes nowhere.
    stranger = Lms(f"{TOOL}/lti/login", f"{TOOL}/lti/launch")
    r = await gateway.get(stranger.login_initiation(person))
    assert r.status_code == 401 and r.json()["fields"][0]["field"] == "iss", r.text


async def test_a_platform_that_rotates_its_key_is_followed(
    gateway: httpx.AsyncClient, registered: Lms
) -> None:
    lms = registered
    person = _person([LEARNER], "Rotated")
    # The login initiation posted as a form (platforms may send either) goes the same way.
    form = dict(parse_qsl(urlsplit(lms.login_initiation(person)).query))
    posted = await gateway.post("/lti/login", data=form)
    assert posted.status_code == 302 and posted.headers["location"].startswith(AUTHORIZE_URL), posted.text
    _, page = await launch(gateway, lms, person)
    assert landed(page)["role"] == "student"
    fetched = lms.key_fetches
    lms.rotate()
    await asyncio.sleep(PlatformKeys.REFRESH_MIN_SECONDS + 0.1)  # unknown keys fetched at most this often
    _, page = await launch(gateway, lms, person)
    assert landed(page)["role"] == "student" and lms.key_fetches == fetched + 1


async def _deep_linking(
    gateway: httpx.AsyncClient, lms: Lms, person: Person, context: tuple[str, str]
) -> httpx.Response:
    authorization = await authorized(gateway, lms, person)
    form = lms.deep_linking_message(authorization, person, context, data="platform-opaque-42")
    return await gateway.post("/lti/launch", data={"id_token": form["id_token"], "state": form["state"]})


async def test_a_teacher_deep_links_an_assignment_which_students_then_launch(
    gateway: httpx.AsyncClient, registered: Lms
) -> None:
    lms = registered
    context = (f"ctx-{uuid.uuid4().hex[:8]}", "Deep")
    teacher = _person([INSTRUCTOR], "Teacher")
    first = landed((await launch(gateway, lms, teacher, context))[1])
    body = {
        "title": "Sum",
        "tests": [{"stdin": "1\n", "expected_stdout": "1\n", "weight": 3}, {"expected_stdout": "\n"}],
    }
    made = await gateway.post(
        f"/v1/courses/{first['course_id']}/assignments", json=body, headers=bearer(first["token"])
    )
    assignment_id = made.json()["id"]

    [(action, fields)] = forms(await _deep_linking(gateway, lms, teacher, context))
    assert action == "deep-link" and fields["assignment_id"] == assignment_id
    [(return_url, answer)] = forms(await gateway.post("/lti/deep-link", data=fields))
    assert return_url == DEEP_LINK_RETURN_URL
    tool_keys = (await gateway.get("/lti/jwks.json")).json()
    [item] = lms.content_items(answer["JWT"], tool_keys)  # checked by the platform's own code
    assert item == {
        "type": "ltiResourceLink",
        "title": "Sum",
        "url": f"{TOOL}/lti/launch",
        "custom": {"assignment_id": assignment_id},
        "lineItem": {"scoreMaximum": 4, "label": "Sum", "resourceId": assignment_id},
    }
    claims = jwt.decode(answer["JWT"], options={"verify_signature": False})
    assert claims["aud"] == lms.issuer and claims["iss"] == lms.client_id
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "platform-opaque-42"

    # The activity's launches bring its custom parameter back: the student lands on it.
    student = _person([LEARNER], "Student")
    page = landed((await launch(gateway, lms, student, context, custom=item["custom"]))[1])
    assert page["assignment_id"] == assignment_id and page["role"] == "student"

    # A student's deep-linking launch is refused; a forged choice, or another course's assignment, too.
    r = await _deep_linking(gateway, lms, student, context)
    assert r.status_code == 401 and r.json()["fields"][0]["field"] == ROLES, r.text
    forged = {
        **fields,
        "selection": jwt.encode({"course_id": first["course_id"]}, "x" * 32, algorithm="HS256"),
    }
    r = await gateway.post("/lti/deep-link", data=forged)
    assert r.status_code == 401 and r.json()["fields"][0]["field"] == "selection", r.text
    elsewhere = landed((await launch(gateway, lms, teacher, (f"ctx-{uuid.uuid4().hex[:8]}", "Other")))[1])
    other = await gateway.post(
        f"/v1/courses/{elsewhere['course_id']}/assignments", json=body, headers=bearer(elsewhere["token"])
    )
    r = await gateway.post("/lti/deep-link", data={**fields, "assignment_id": other.json()["id"]})
    assert r.status_code == 404 and r.json()["fields"][0]["field"] == "assignment_id", r.text

    # Rotated: the new key signs, the old one is still published, the platform still checks.
    _, admin = await login(gateway, "admin", ADMIN)
    rotated = await gateway.post("/v1/lti/keys/rotate", headers=admin)
    assert rotated.status_code == 200, rotated.text
    [(_, answer)] = forms(await gateway.post("/lti/deep-link", data=fields))
    assert jwt.get_unverified_header(answer["JWT"])["kid"] == rotated.json()["kid"]
    published = (await gateway.get("/lti/jwks.json")).json()
    assert rotated.json()["kid"] in {k["kid"] for k in published["keys"]} and len(published["keys"]) >= 2
    assert [i["custom"] for i in lms.content_items(answer["JWT"], published)] == [item["custom"]]


async def test_a_roster_of_200_is_synced_from_the_lms_each_in_their_role(
    gateway: httpx.AsyncClient, registered: Lms, infra: Infra
) -> None:
    lms = registered
    context = (f"ctx-{uuid.uuid4().hex[:8]}", "Big class")
    teacher = _person([INSTRUCTOR], "Teacher")
    taken = fresh_email("taken")
    owner_id, _ = await login(gateway, "owner", taken)
    students = [_person([LEARNER], f"Student {i}") for i in range(198)]
    students[7] = Person(students[7].subject, [LEARNER], "Same email", taken)
    gone = _person([LEARNER], "Dropped")
    gone.status = "Inactive"
    lms.rosters[context[0]] = [teacher, _person([INSTRUCTOR], "Second teacher"), *students, gone]
    first = landed((await launch(gateway, lms, teacher, context))[1])
    as_teacher = bearer(first["token"])

    synced = await gateway.post(f"/v1/courses/{first['course_id']}/lti/roster-sync", headers=as_teacher)
    assert synced.status_code == 200, synced.text
    assert synced.json() == {"members": 200, "students": 198, "teachers": 2, "skipped": 1}
    assert lms.roster_reads >= 4  # 201 listed, 50 a page: every page followed
    members = await _all_members(gateway, first["course_id"], as_teacher)
    assert sorted(m["role"] for m in members.values()) == ["student"] * 198 + ["teacher"] * 2
    assert owner_id not in members and taken not in {m["email"] for m in members.values()}

    # A student synced, launching later, is the user the sync made (bound by subject).
    page = landed((await launch(gateway, lms, students[3], context))[1])
    assert page["role"] == "student" and _user(page) in members
    # Synced again: the same 200, no one twice (the course still has 200 members).
    again = await gateway.post(f"/v1/courses/{first['course_id']}/lti/roster-sync", headers=as_teacher)
    assert (
        again.json()["members"] == 200
        and len(await _all_members(gateway, first["course_id"], as_teacher)) == 200
    )
    # A student may not sync; a course no LMS launched into has no roster to sync.
    r = await gateway.post(f"/v1/courses/{first['course_id']}/lti/roster-sync", headers=bearer(page["token"]))
    assert r.status_code == 403, r.text
    _, plain = await login(gateway, "plain-teacher")
    course = (await gateway.post("/v1/courses", json={"title": "No LMS"}, headers=plain)).json()
    r = await gateway.post(f"/v1/courses/{course['id']}/lti/roster-sync", headers=plain)
    assert r.status_code == 409 and r.json()["fields"][0]["field"] == "course_id", r.text


async def _all_members(
    gateway: httpx.AsyncClient, course_id: str, auth: dict[str, str]
) -> dict[str, dict[str, Any]]:
    members: dict[str, dict[str, Any]] = {}
    cursor: str | None = ""
    while cursor is not None:
        query = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = (await gateway.get(f"/v1/courses/{course_id}/enrollments", params=query, headers=auth)).json()
        members |= {m["user_id"]: m for m in page["items"]}
        cursor = page["next_cursor"]
    return members


async def test_tool_keys_sealed_under_another_secret_are_not_used(
    gateway: httpx.AsyncClient, infra: Infra
) -> None:
    ours = {k["kid"] for k in (await gateway.get("/lti/jwks.json")).json()["keys"]}
    settings = gateway_settings(infra, auth_secret="a-secret-that-is-not-this-runs-" + uuid.uuid4().hex)
    async with serving(create_app(settings)) as other:
        theirs = await other.get("/lti/jwks.json")
        assert theirs.status_code == 200, theirs.text
        kids = {k["kid"] for k in theirs.json()["keys"]}
    assert kids and not kids & ours  # a key of its own, none it cannot open


async def _graded(
    infra: Infra, submission_id: str, page: dict[str, str], assignment_id: str, score: int
) -> None:
    """The submission graded as the grader says it (score of 2)."""
    graded = SubmissionGraded(
        submission_id=uuid.UUID(submission_id),
        assignment_id=uuid.UUID(assignment_id),
        course_id=uuid.UUID(page["course_id"]),
        student_id=uuid.UUID(_user(page)),
        verdict="accepted" if score == 2 else "wrong_answer",
        score=score,
        max_score=2,
        tests=(),
        graded_at=datetime.now(UTC),
    )
    await publish(infra.amqp_url, graded)


async def _held(lms: Lms, lineitem: str, subject: str, given: int, timeout: float = 30) -> dict[str, Any]:
    for _ in range(int(timeout * 10)):
        held = lms.scores.get((lineitem, subject))
        if held is not None and held["scoreGiven"] == given:
            return held
        await asyncio.sleep(0.1)
    raise AssertionError(f"the platform holds {lms.scores.get((lineitem, subject))}, not {given}")


async def test_grades_and_overrides_reach_the_lms_once_each_even_while_it_is_down(
    gateway: httpx.AsyncClient, registered: Lms, infra: Infra
) -> None:
    lms = registered
    context = (f"ctx-{uuid.uuid4().hex[:8]}", "Graded")
    teacher = landed((await launch(gateway, lms, _person([INSTRUCTOR], "Teacher"), context))[1])
    as_teacher = bearer(teacher["token"])
    body = {"title": "Sum", "tests": [{"stdin": "1\n", "expected_stdout": "1\n", "weight": 2}]}
    made = await gateway.post(
        f"/v1/courses/{teacher['course_id']}/assignments", json=body, headers=as_teacher
    )
    assignment_id = made.json()["id"]
    student = _person([LEARNER], "Student")
    link = f"link-{uuid.uuid4().hex[:6]}"
    page = landed((await launch(gateway, lms, student, context, link, {"assignment_id": assignment_id}))[1])
    lineitem = f"/lineitems/{link}"
    submitted = await gateway.post(
        "/v1/submissions",
        json={"assignment_id": assignment_id, "language": "python", "source": "print(1)"},
        headers=bearer(page["token"]),
    )
    assert submitted.status_code == 202, submitted.text
    submission = submitted.json()["id"]

    await _graded(infra, submission, page, assignment_id, score=1)
    held = await _held(lms, lineitem, student.subject, 1)
    assert (held["scoreMaximum"], held["activityProgress"], held["gradingProgress"]) == (
        2,
        "Completed",
        "FullyGraded",
    )

    override = f"/v1/submissions/{submission}/override"
    r = await gateway.put(override, json={"score": 2, "reason": "a fair reading"}, headers=as_teacher)
    assert r.status_code == 204, r.text
    assert (await _held(lms, lineitem, student.subject, 2))["comment"] == "a fair reading"
    assert (await gateway.delete(override, headers=as_teacher)).status_code == 204
    await _held(lms, lineitem, student.subject, 1)  # taken back: the graded score again

    # The LMS away: an override made meanwhile reaches it once it is back (retried through the tiers).
    lms.down = True
    r = await gateway.put(override, json={"score": 0, "reason": "copied"}, headers=as_teacher)
    assert r.status_code == 204, r.text
    for _ in range(100):
        if lms.refused >= 2:  # the first try and the first retry, refused
            break
        await asyncio.sleep(0.1)
    assert lms.refused >= 2, "the score was not tried while the LMS was down"
    lms.down = False
    await _held(lms, lineitem, student.subject, 0, timeout=40)
    posted = [
        (score["scoreGiven"], score["timestamp"]) for item, score in lms.score_posts if item == lineitem
    ]
    assert [given for given, _ in posted] == [1, 2, 1, 0], (
        posted
    )  # each once, in order: none lost, none twice
