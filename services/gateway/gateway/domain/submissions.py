"""Submission rules: the read model's status machine and what a viewer may see of the results."""

from typing import Any, Literal

Status = Literal["queued", "running", "graded"]
# A status only moves forward: a late "grading started" never hides a grade already stored.
ORDER: dict[str, int] = {"queued": 0, "running": 1, "graded": 2}

# A checker's message may quote the expected answer: hidden with the rest.
HIDDEN_FIELDS = ("stdout", "stderr", "stdin", "expected_stdout", "message")


def earlier_than(status: Status) -> list[str]:
    """The statuses a submission may move to `status` from."""
    return [name for name, rank in ORDER.items() if rank < ORDER[status]]


def results_for_viewer(results: list[dict[str, Any]] | None, sees_hidden: bool) -> list[dict[str, Any]]:
    """A student sees a hidden test's verdict only, never its input, output or expected output."""
    if not results:
        return []
    if sees_hidden:
        return results
    return [{k: v for k, v in r.items() if k not in HIDDEN_FIELDS} if r.get("hidden") else r for r in results]
