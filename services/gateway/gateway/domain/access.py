"""Who may do what in a course, decided from the caller's enrollment role alone."""

from collections.abc import Collection

from gateway.domain.errors import Forbidden

TEACHER = "teacher"
STUDENT = "student"
PARENT = "parent"


def require_teacher(role: str | None) -> None:
    if role != TEACHER:
        raise Forbidden("only a teacher of this course may do this")


def require_student(role: str | None) -> None:
    if role != STUDENT:
        raise Forbidden("only a student enrolled in this course may submit", field="assignment_id")


def may_view_submission(
    viewer_id: object, student_id: object, role: str | None, children: Collection[object]
) -> bool:
    """The student, a teacher of the course, or a parent following the student in it."""
    if viewer_id == student_id or role == TEACHER:
        return True
    return role == PARENT and student_id in children


def audiences_seen_by(role: str) -> tuple[str, ...]:
    """The course events a member sees: a teacher every one, a student or parent those for all and
    for their own kind."""
    if role == TEACHER:
        return ("students", "teachers", "parents", "all")
    return ("all", "students" if role == STUDENT else "parents")
