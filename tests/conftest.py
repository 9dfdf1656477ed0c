"""Fixtures shared by every test package: real infrastructure for this test run."""

from collections.abc import Iterator

import pytest
from _pytest.terminal import TerminalReporter

from tests.support.infra import Infra, provisioned_infra
from tests.support.load import REPORT


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    """A fresh vhost and a migrated database (all four schemas and roles) for this test run."""
    with provisioned_infra() as value:
        yield value


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    """The fault tests' counts (sent, accepted, processed, lost, duplicated), for the record."""
    if REPORT:
        terminalreporter.section("fault test counts")
        for line in REPORT:
            terminalreporter.write_line(line)
