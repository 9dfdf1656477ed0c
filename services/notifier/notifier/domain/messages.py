"""What a notification says, pure: titles and bodies from events."""

from gradeflow_shared.events import SubmissionGraded

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


def graded_message(event: SubmissionGraded) -> tuple[str, str]:
    verdict = VERDICT_TEXT[event.verdict]
    title = f"Your submission was graded: {verdict}"
    passed = sum(1 for t in event.tests if t.verdict == "accepted")
    body = f"Score {event.score}/{event.max_score}; {passed} of {len(event.tests)} tests passed."
    return title, body
