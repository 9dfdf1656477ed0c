"""What a notification says, pure: titles and bodies from events."""

import uuid

from gradeflow_shared.events import SubmissionGraded

_GRADES = uuid.UUID("5b0c6f3e-2f4d-4c1e-9a57-6a1f0f6e9a01")  # the namespace of grades' notification ids

VERDICT_TEXT = {
    "accepted": "Accepted",
    "wrong_answer": "Wrong Answer",
    "time_limit_exceeded": "Time Limit Exceeded",
    "compilation_error": "Compilation Error",
    "runtime_error": "Runtime Error",
    "memory_limit_exceeded": "Memory Limit Exceeded",
    "output_limit_exceeded": "Output Limit Exceeded",
    "internal_error": "Internal Error",
}


def graded_message(event: SubmissionGraded, student_name: str | None = None) -> tuple[str, str]:
    """To the student, or (`student_name`) to a parent following them."""
    verdict = VERDICT_TEXT[event.verdict]
    whose = f"{student_name}'s" if student_name else "Your"
    title = f"{whose} submission was graded: {verdict}"
    if event.regrade_id is not None:
        title = f"{whose} submission was regraded after its tests changed: {verdict}"
    passed = sum(1 for t in event.tests if t.verdict == "accepted")
    body = f"Score {event.score}/{event.max_score}; {passed} of {len(event.tests)} tests passed."
    return title, body


def graded_notification_id(
    submission_id: uuid.UUID, user_id: uuid.UUID, regraded_by: int | None = None
) -> uuid.UUID:
    """One notification per submission and person, however often the grade is announced; a
    regrade's, one per suite version that regraded it."""
    if regraded_by is None:
        return uuid.uuid5(_GRADES, f"{submission_id}:{user_id}")
    return uuid.uuid5(_GRADES, f"{submission_id}:{user_id}:v{regraded_by}")
