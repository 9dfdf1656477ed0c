"""Submission rules of the gateway's domain: status order, hidden tests, who may view."""

import uuid

from gateway.domain.access import may_view_submission
from gateway.domain.submissions import earlier_than, results_for_viewer


def test_status_only_moves_forward() -> None:
    assert earlier_than("queued") == []
    assert earlier_than("running") == ["queued"]
    assert earlier_than("graded") == ["queued", "running"]


def test_a_student_sees_only_the_verdict_of_a_hidden_test() -> None:
    results = [
        {"position": 1, "hidden": False, "verdict": "accepted", "stdout": "3\n"},
        {
            "position": 2,
            "hidden": True,
            "verdict": "wrong_answer",
            "stdout": "secret\n",
            "stderr": "x",
        },
    ]
    student = results_for_viewer(results, sees_hidden=False)
    assert student[0]["stdout"] == "3\n"
    assert student[1] == {"position": 2, "hidden": True, "verdict": "wrong_answer"}
    assert results_for_viewer(results, sees_hidden=True) == results


def test_who_may_view_a_submission() -> None:
    student, other, parent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert may_view_submission(student, student, "student", ())
    assert not may_view_submission(other, student, "student", ())
    assert may_view_submission(other, student, "teacher", ())
    assert may_view_submission(parent, student, "parent", [other, student])
    assert not may_view_submission(parent, student, "parent", [other])
    assert not may_view_submission(parent, student, "student", [student])
