"""Test suites kept in memory once loaded: a suite is copied once and never changed (the grader's
store only inserts it), so what was read once stays true, and grading a submission no longer reads
its assignment and every test case again — two of the five statements on its way in."""

from collections import OrderedDict
from uuid import UUID

from grader.domain.grading import Suite


def suite_bytes(suite: Suite) -> int:
    """About what a suite holds: its tests' inputs and expected outputs."""
    return sum(len(case.stdin) + len(case.expected_stdout) for case in suite.cases) + 1024


class SuiteCache:
    """The most recently used suites, up to `max_bytes` of test data in all (a suite larger than
    that is not kept)."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._max_bytes = max_bytes
        self._suites: OrderedDict[UUID, tuple[Suite, int]] = OrderedDict()
        self._bytes = 0

    def get(self, assignment_id: UUID) -> Suite | None:
        found = self._suites.get(assignment_id)
        if found is None:
            return None
        self._suites.move_to_end(assignment_id)
        return found[0]

    def put(self, assignment_id: UUID, suite: Suite) -> None:
        if assignment_id in self._suites:
            return
        size = suite_bytes(suite)
        if size > self._max_bytes:
            return
        self._suites[assignment_id] = (suite, size)
        self._bytes += size
        while self._bytes > self._max_bytes:
            _, (_, dropped) = self._suites.popitem(last=False)
            self._bytes -= dropped

    def __len__(self) -> int:
        return len(self._suites)
