"""Rosters, pure and in memory: every faulty line named with its field, nothing imported when any
line is at fault; a good roster enrolls everyone and announces them a thousand a message."""

import pickle

import pytest

from gateway import schemas as s
from gateway.domain.errors import Forbidden, RosterInvalid
from gateway.domain.roster import MAX_LINES, parse_roster, parse_roster_bytes
from gateway.usecases import catalogue
from gateway.usecases.catalogue import ROSTER_EVENT_MEMBERS
from gradeflow_shared.events import EnrollmentsChanged
from tests.gateway.unit.fakes import fake_units
from tests.gateway.unit.test_use_cases import _context, _login

HEADER = "name,email,role,child_email\n"


def test_each_faulty_line_is_named_with_its_field() -> None:
    text = HEADER + (
        "Ada,ada@example.com,student,\n"
        "Bob,not-an-email,student,\n"
        ",cy@example.com,teacher,\n"
        "Dee,dee@example.com,janitor,\n"
        "Eve,eve@example.com,parent,\n"
        "Ann,ADA@example.com,student,\n"
        "Fay,fay@example.com,student,ada@example.com\n"
        "Gus,gus@example.com\n"
    )
    rows, faults = parse_roster(text)
    assert [(f.line, f.field) for f in faults] == [
        (3, "email"), (4, "name"), (5, "role"), (6, "child_email"), (7, "email"), (8, "child_email"), (9, "row"),
    ]  # fmt: skip
    assert "line 2" in next(f.message for f in faults if f.line == 7)
    assert [r.email for r in rows] == ["ada@example.com"]


def test_a_parent_of_several_children_is_on_a_line_per_child() -> None:
    text = HEADER + (
        "Ada,ada@example.com,student,\n"
        "Bo,bo@example.com,student,\n"
        "Pa,pa@example.com,parent,ada@example.com\n"
        "Pa,pa@example.com,parent,bo@example.com\n"
        "Pa,pa@example.com,parent,bo@example.com\n"
        "Pat,pa@example.com,parent,cy@example.com\n"
        "Ada,ada@example.com,parent,bo@example.com\n"
    )
    rows, faults = parse_roster(text)
    assert [(f.line, f.field) for f in faults] == [(6, "email"), (7, "name"), (8, "email")]
    assert "line 5" in faults[0].message and "line 2" in faults[2].message
    assert [(r.email, r.child_email) for r in rows if r.role == "parent"] == [
        ("pa@example.com", "ada@example.com"), ("pa@example.com", "bo@example.com"),
    ]  # fmt: skip


async def test_a_parent_of_two_children_is_one_enrollment_following_both() -> None:
    units = fake_units()
    ctx = _context(units)
    teacher = await _login(ctx, "teacher")
    course = await catalogue.create_course(ctx, teacher, s.CourseIn(title="C"))
    text = HEADER + (
        "Ada,ada@example.com,student,\nBo,bo@example.com,student,\n"
        "Pa,pa@example.com,parent,ada@example.com\nPa,pa@example.com,parent,bo@example.com\n"
    )
    imported = await catalogue.import_roster(ctx, teacher, course.id, text.encode())
    assert (imported.imported, imported.students, imported.parents) == (3, 2, 1)
    ids = {u.email: u.id for u in units.repos.store.users.values()}
    parent = units.repos.store.enrollments[(course.id, ids["pa@example.com"])]
    assert sorted(parent.children) == sorted([ids["ada@example.com"], ids["bo@example.com"]])


def test_a_header_without_the_columns_is_refused() -> None:
    _, faults = parse_roster("who,mail\nAda,ada@example.com\n")
    assert [(f.line, f.field) for f in faults] == [(1, "header")]


async def test_a_roster_with_one_bad_line_imports_nothing() -> None:
    units = fake_units()
    ctx = _context(units)
    teacher = await _login(ctx, "teacher")
    course = await catalogue.create_course(ctx, teacher, s.CourseIn(title="C"))
    before = (len(units.repos.store.users), len(units.published))
    with pytest.raises(RosterInvalid) as refused:
        await catalogue.import_roster(
            ctx, teacher, course.id, (HEADER + "Ada,ada@example.com,student,\nBob,x,student,\n").encode()
        )
    assert refused.value.fields == [{"line": 3, "field": "email", "message": "not an email address: 'x'"}]
    assert (len(units.repos.store.users), len(units.published)) == before


async def test_a_roster_enrolls_everyone_and_announces_them_in_chunks() -> None:
    units = fake_units()
    ctx = _context(units)
    teacher = await _login(ctx, "teacher")
    course = await catalogue.create_course(ctx, teacher, s.CourseIn(title="C"))
    n = ROSTER_EVENT_MEMBERS + 5
    lines = [f"S{i},s{i}@example.com,student," for i in range(n)] + ["P,p@example.com,parent,s3@example.com"]
    imported = await catalogue.import_roster(ctx, teacher, course.id, (HEADER + "\n".join(lines)).encode())
    assert (imported.imported, imported.students, imported.parents) == (n + 1, n, 1)
    events = units.events(EnrollmentsChanged)
    assert [len(e.members) for e in events] == [ROSTER_EVENT_MEMBERS, 6]
    parent = next(m for e in events for m in e.members if m.role == "parent")
    child = next(m for e in events for m in e.members if m.email == "s3@example.com")
    assert parent.follows == child.user_id
    assert units.repos.store.enrollments[(course.id, parent.user_id)].children == [child.user_id]


async def test_a_parent_of_a_stranger_is_refused() -> None:
    units = fake_units()
    ctx = _context(units)
    teacher = await _login(ctx, "teacher")
    course = await catalogue.create_course(ctx, teacher, s.CourseIn(title="C"))
    commits = units.commits
    with pytest.raises(RosterInvalid) as refused:
        await catalogue.import_roster(
            ctx, teacher, course.id, (HEADER + "P,p@example.com,parent,who@example.com\n").encode()
        )
    assert refused.value.fields[0]["line"] == 2 and refused.value.fields[0]["field"] == "child_email"
    assert units.commits == commits and not units.events(EnrollmentsChanged), "nothing committed or announced"


async def test_a_roster_never_renames_nor_takes_in_an_account_its_teacher_does_not_teach() -> None:
    """Any logged-in user can make a course: their roster names a stranger's email only to be told
    so — the stranger keeps their name, is enrolled nowhere, and nothing is announced."""
    units = fake_units()
    ctx = _context(units)
    stranger = await _login(ctx, "victim")  # victim@example.com, named "victim"
    attacker = await _login(ctx, "attacker")
    course = await catalogue.create_course(ctx, attacker, s.CourseIn(title="Trap"))
    text = HEADER + "Account suspended - see link,victim@example.com,student,\nNew,new@example.com,student,\n"
    announced = len(units.events(EnrollmentsChanged))
    with pytest.raises(RosterInvalid) as refused:
        await catalogue.import_roster(ctx, attacker, course.id, text.encode())
    assert refused.value.fields == [{"line": 2, "field": "email", "message": catalogue.NOT_YOURS}]
    assert units.repos.store.users[stranger].name == "victim"
    assert (course.id, stranger) not in units.repos.store.enrollments
    assert len(units.events(EnrollmentsChanged)) == announced
    with pytest.raises(Forbidden):
        await catalogue.enroll(ctx, attacker, course.id, s.EnrollmentIn(user_id=stranger, role="student"))
    assert (course.id, stranger) not in units.repos.store.enrollments


async def test_a_teacher_takes_in_an_account_they_teach_and_an_admin_any_without_renaming() -> None:
    units = fake_units()
    ctx = _context(units)
    teacher = await _login(ctx, "teacher")
    first = await catalogue.create_course(ctx, teacher, s.CourseIn(title="Autumn"))
    await catalogue.import_roster(
        ctx, teacher, first.id, (HEADER + "Ada,ada@example.com,student,\n").encode()
    )
    ada = next(u.id for u in units.repos.store.users.values() if u.email == "ada@example.com")
    second = await catalogue.create_course(ctx, teacher, s.CourseIn(title="Spring"))
    renamed = HEADER + "Someone Else,ada@example.com,student,\n"
    await catalogue.import_roster(ctx, teacher, second.id, renamed.encode())
    assert units.repos.store.enrollments[(second.id, ada)].role == "student", "taught already: taken in"
    assert units.repos.store.users[ada].name == "Ada", "never renamed"
    stranger = await _login(ctx, "stranger")
    await catalogue.enroll(
        ctx, teacher, second.id, s.EnrollmentIn(user_id=stranger, role="student"), admin=True
    )
    assert (second.id, stranger) in units.repos.store.enrollments


def test_a_roster_over_its_line_bound_is_refused_without_reading_on() -> None:
    text = HEADER + "".join(f"S{i},s{i}@example.com,student,\n" for i in range(MAX_LINES + 1))
    rows, faults = parse_roster(text)
    assert rows == [] and [(f.line, f.field) for f in faults] == [(MAX_LINES + 2, "body")]
    assert parse_roster_bytes(b"\xff\xfe" + text.encode())[1][0].field == "body", "not UTF-8"


def test_the_columns_cross_to_the_service_packed_and_come_back_whole() -> None:
    text = "name,email,role,child_email\n" + "".join(
        f"Ünïcode {i},s{i}@example.com,student,\nParent {i},p{i}@example.com,parent,s{i}@example.com\n"
        for i in range(6_000)  # more than one packed slice of each column
    )
    cols, faults = parse_roster_bytes(text.encode())
    assert faults == [] and len(cols) == 12_000
    back = pickle.loads(pickle.dumps(cols))
    assert back == cols and back.children[:2] == [None, "s0@example.com"] and back.lines[-1] == 12_001
    empty, _ = parse_roster_bytes(b"name,email,role\n")
    assert pickle.loads(pickle.dumps(empty)) == empty and len(empty) == 0
