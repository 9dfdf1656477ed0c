"""Test suites kept in memory once loaded: a version of a suite is copied once and never changed
(a change is a new version), so what was read once stays true for that version, and grading a
submission no longer reads its assignment and every test case again — two of the five statements
on its way in. A job names the version it needs at least: a suite kept from before it is read
again."""

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

    def get(self, assignment_id: UUID, at_least: int = 1) -> Suite | None:
        found = self._suites.get(assignment_id)
        if found is None or found[0].version < at_least:
            return None
        self._suites.move_to_end(assignment_id)
        return found[0]

    def put(self, assignment_id: UUID, suite: Suite) -> None:
        kept = self._suites.get(assignment_id)
        if kept is not None:
            if kept[0].version >= suite.version:
                return
            del self._suites[assignment_id]  # overtaken by a later version
            self._bytes -= kept[1]
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
