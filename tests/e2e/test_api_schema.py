"""schemathesis against the gateway's own OpenAPI schema (and the metrics service's, as an admin),
the four services as real processes: for each role — a teacher with a course, a student in it, a
parent following the student, an admin —
generated requests on every operation (schema-valid and not, and sequences through the links it
infers; each field's boundary cases as the teacher and the admins), with every check on: no 5xx, no status or body the schema does not document, no
schema-valid request refused and no invalid one accepted (tests/e2e/schemathesis.toml has the
exceptions, each for a rule a JSON schema cannot state). Sized to finish in a few minutes."""

import asyncio
import re
import sys
from pathlib import Path

import httpx
import jwt
import pytest

from gradeflow_tools.stack import Stack
from tests.e2e.conftest import ADMIN
from tests.support.api import classroom, enrol_new

pytestmark = pytest.mark.e2e
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = 4  # per operation and phase; ~70 operations
SEED = 20261201  # the same cases every run: a failure here is reproduced with this seed


# The coverage phase (each field's boundaries and every invalid type, a few thousand cases, however
# few examples are asked) once for each operation, as a role its authorization lets by — a request
# refused 403 is refused before any field is read: as the teacher everywhere, and as the admin on
# what a teacher is refused (the admin's own operations, and a submission). The teacher's report
# must list no other 403, so an operation added for admins only cannot go without it.
ALL_PHASES = "examples,coverage,fuzzing,stateful"
NO_COVERAGE = "examples,fuzzing,stateful"
NOT_THE_TEACHERS = r"^/(judge0/statistics|v1/(users|lti/platforms|lti/keys/rotate|api-keys/\{key_id\}/runs-rate|submissions))$"


async def _schemathesis(url: str, token: str, phases: str, paths: str | None) -> tuple[int, str]:
    st = Path(sys.executable).with_name("st")
    proc = await asyncio.create_subprocess_exec(
        str(st),
        "--no-color",
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/openapi.json",
        *(("--include-path-regex", paths) if paths else ()),
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--phases",
        phases,
        # One worker: several threads in one process trip hypothesis's source inspection on
        # Python 3.11 ("AST constructor recursion depth mismatch"); the roles run side by side.
        "--workers",
        "1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace")


@pytest.mark.timeout(900)  # four roles side by side, a few minutes on two cores
async def test_no_role_meets_a_5xx_or_an_answer_outside_the_schema(
    gateway: httpx.AsyncClient, stack: Stack, tmp_path: Path
) -> None:
    room = await classroom(gateway, students=1)
    (_, student), teacher = room.students[0], room.teacher
    [(_, parent)] = await enrol_new(
        gateway, room.course_id, teacher, [("parent", "parent", room.students[0].email)]
    )
    r = await gateway.post("/v1/auth/dev-login", json={"email": ADMIN, "name": "Ops"})
    assert r.status_code == 200, r.text
    admin = {"Authorization": f"Bearer {r.json()['token']}"}
    assert jwt.decode(r.json()["token"], options={"verify_signature": False})["roles"] == ["admin"]

    gateway_url, metrics_url = stack.config.url("gateway"), stack.config.url("metrics")
    targets = {
        "teacher": (gateway_url, teacher, ALL_PHASES, None),
        "student": (gateway_url, student, NO_COVERAGE, None),
        "parent": (gateway_url, parent, NO_COVERAGE, None),
        "admin": (gateway_url, admin, NO_COVERAGE, None),
        "admin, boundaries where a teacher is refused": (gateway_url, admin, "coverage", NOT_THE_TEACHERS),
        # The metrics service's operations API too (its token verified as the gateway does).
        "admin at the metrics service": (metrics_url, admin, ALL_PHASES, None),
    }
    runs = [
        _schemathesis(url, auth["Authorization"].removeprefix("Bearer "), phases, paths)
        for url, auth, phases, paths in targets.values()
    ]
    reports = dict(zip(targets, await asyncio.gather(*runs), strict=True))
    for role, (code, report) in reports.items():
        (tmp_path / f"schemathesis-{role.replace(' ', '-')}.txt").write_text(report)  # the whole report, kept
        print(f"--- schemathesis as {role}: exit {code}\n" + "\n".join(report.splitlines()[-14:]))
    failed = {role: report for role, (code, report) in reports.items() if code != 0}
    # The failures section (each with a curl line that reproduces it) comes before the summary.
    assert not failed, "\n\n".join(f"===== as {role}\n{_failures(report)}" for role, report in failed.items())
    for role, (_, report) in reports.items():  # every operation tested, every generated case passed
        assert re.search(r"Tested: (\d+)\b", report) and re.search(r"(\d+) generated, \1 passed", report), (
            f"as {role}: " + report[-2000:]
        )
    refused = _refused_403(reports["teacher"][1])
    assert refused and all(re.match(NOT_THE_TEACHERS, path) for path in refused), (
        f"operations refused to a teacher, whose boundaries no run tries: {refused}"
    )


def _refused_403(report: str) -> list[str]:
    """The paths a report lists as answering its role only 403."""
    section = re.search(r"403 Forbidden \(\d+ operations?\):\n((?:  - .+\n)+)", report)
    return [line.split()[-1] for line in section.group(1).splitlines()] if section else []


def _failures(report: str) -> str:
    found = [i for i in (report.find("= ERRORS ="), report.find("= FAILURES =")) if i >= 0]
    return report[min(found) - 40 : min(found) + 15000] if found else report[-15000:]
