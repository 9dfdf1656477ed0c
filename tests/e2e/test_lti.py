"""Gradeflow inside an LMS, the four services as real processes, the LMS a platform built on
lti1p3platform (PyPI; tests/support/lti_platform.py) on 127.0.0.1: an admin registers it; a
teacher launches, adds an assignment by Deep Linking and syncs a roster of 200; the students
launch the activity and submit, eight at a time; every grade reaches the line item — exactly one
score per student —; the teacher fixes a test and regrades while the LMS is down for a minute:
once it is back, each student whose grade moved has the new score, posted once, and no score is
lost."""

import asyncio
import uuid
from collections import Counter

import httpx
import pytest

from gradeflow_tools.stack import Stack
from tests.e2e.conftest import ADMIN
from tests.support.api import bearer
from tests.support.lti_platform import (
    INSTRUCTOR,
    LEARNER,
    Lms,
    Person,
    authorized,
    forms,
    landed,
    launch,
    serving_platform,
)
from tests.support.waiting import until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

STUDENTS = 200
RIGHT = "n = int(input())\nprint(n * (n + 1) // 2)\n"
ONE = "input()\nprint(1)\n"  # right for n = 1 only
TESTS = [{"stdin": "1\n", "expected_stdout": "1\n"}, {"stdin": "2\n", "expected_stdout": "4\n"}]  # 4: wrong
FIXED = [TESTS[0], {"stdin": "2\n", "expected_stdout": "3\n"}]
DOWN_SECONDS = 60
CONCURRENT = 8  # students launching and submitting at the same moment


async def test_a_class_of_200_launches_submits_and_its_grades_reach_the_lms_once_each(
    gateway: httpx.AsyncClient, stack: Stack
) -> None:
    tool = stack.config.url("gateway")
    with serving_platform(Lms(f"{tool}/lti/login", f"{tool}/lti/launch")) as lms:
        r = await gateway.post("/v1/auth/dev-login", json={"email": ADMIN, "name": "Ops"})
        admin = bearer(r.json()["token"])
        assert (
            await gateway.post("/v1/lti/platforms", json=lms.registered(), headers=admin)
        ).status_code == 201
        lms.trust((await gateway.get("/lti/jwks.json")).json())

        context = (f"ctx-{uuid.uuid4().hex[:8]}", "Algorithms")
        teacher = Person(
            f"t-{uuid.uuid4().hex[:8]}", [INSTRUCTOR], "Teacher", f"t-{uuid.uuid4().hex[:8]}@example.com"
        )
        students = [
            Person(
                f"s{i}-{uuid.uuid4().hex[:8]}",
                [LEARNER],
                f"Student {i}",
                f"s{i}-{uuid.uuid4().hex[:8]}@example.com",
            )
            for i in range(STUDENTS)
        ]
        lms.rosters[context[0]] = [teacher, *students]
        home = landed((await launch(gateway, lms, teacher, context))[1])
        as_teacher = bearer(home["token"])
        body = {"title": "Sum to n", "tests": TESTS, "languages": ["python"]}
        made = await gateway.post(
            f"/v1/courses/{home['course_id']}/assignments", json=body, headers=as_teacher
        )
        assert made.status_code == 201, made.text
        assignment = made.json()["id"]

        # Deep Linking: the teacher adds the assignment as the LMS's activity.
        authorization = await authorized(gateway, lms, teacher)
        form = lms.deep_linking_message(authorization, teacher, context, data="d")
        choice = await gateway.post(
            "/lti/launch", data={"id_token": form["id_token"], "state": form["state"]}
        )
        [(_, fields)] = forms(choice)
        [(_, answer)] = forms(await gateway.post("/lti/deep-link", data=fields))
        [item] = lms.content_items(answer["JWT"], (await gateway.get("/lti/jwks.json")).json())
        assert item["custom"] == {"assignment_id": assignment} and item["lineItem"]["scoreMaximum"] == 2

        # The roster of 200, synced (the teacher's launch started it too: the same 200, once each).
        synced = await gateway.post(f"/v1/courses/{home['course_id']}/lti/roster-sync", headers=as_teacher)
        assert synced.status_code == 200 and synced.json()["students"] == STUDENTS, synced.text

        # Each student launches the activity and submits, a class's worth at once: half right, half
        # right for n = 1 only — both pass the first test alone while the second expects 4.
        link = "activity-1"
        lineitem = f"/lineitems/{link}"
        submissions = {}
        at_once = asyncio.Semaphore(CONCURRENT)

        async def take_part(i: int, student: Person) -> None:
            async with at_once:
                page = landed((await launch(gateway, lms, student, context, link, item["custom"]))[1])
                assert page["assignment_id"] == assignment and page["role"] == "student"
                source = RIGHT if i % 2 else ONE
                body = {"assignment_id": assignment, "language": "python", "source": source}
                r = await gateway.post("/v1/submissions", json=body, headers=bearer(page["token"]))
                assert r.status_code == 202, r.text
                submissions[student.subject] = r.json()["id"]

        await asyncio.gather(*(take_part(i, student) for i, student in enumerate(students)))
        assert len(submissions) == STUDENTS

        def held() -> dict[str, int]:
            return {user: s["scoreGiven"] for (li, user), s in lms.scores.items() if li == lineitem}

        async def all_graded() -> bool:
            return len(held()) == STUDENTS

        await until(all_graded, "a score for every student")
        assert Counter(held().values()) == {1: STUDENTS}, Counter(held().values())
        posted = Counter(score["userId"] for li, score in lms.score_posts if li == lineitem)
        assert set(posted.values()) == {1}, "a student's first grade posted twice"

        # The LMS goes down; the teacher fixes the test and regrades each student's latest.
        posts_before = len(lms.score_posts)
        lms.down = True
        fixed = await gateway.patch(
            f"/v1/assignments/{assignment}", json={"tests": FIXED}, headers=as_teacher
        )
        assert fixed.status_code == 200 and fixed.json()["suite_version"] == 2, fixed.text
        regrade = await gateway.post(
            f"/v1/assignments/{assignment}/regrades", json={"scope": "latest"}, headers=as_teacher
        )
        assert regrade.status_code == 202, regrade.text
        await asyncio.sleep(DOWN_SECONDS)
        assert lms.refused > 0 and len(lms.score_posts) == posts_before, "nothing got through while down"
        lms.down = False

        # The right ones now pass both tests (2); the others still one (1: their grade did not move).
        movers = {p.subject for i, p in enumerate(students) if i % 2}

        async def moved() -> bool:
            now = held()
            return all(now[user] == (2 if user in movers else 1) for user in now)

        await until(moved, "every new grade at the LMS", timeout=420)
        regraded = [s["userId"] for li, s in lms.score_posts[posts_before:] if li == lineitem]
        assert sorted(regraded) == sorted(movers), "each student whose grade moved, posted once; no one else"
        print(
            f"LTI e2e: students={STUDENTS} scores_held={len(held())} first_posts={posts_before} "
            f"regrade_posts={len(regraded)} refused_while_down={lms.refused} lost=0 twice=0"
        )
