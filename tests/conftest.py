"""Fixtures shared by every test package: real infrastructure for this test run."""

from collections.abc import Iterator

import pytest

from tests.support.infra import Infra, provisioned_infra


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    """A fresh vhost and a migrated database (all four schemas and roles) for this test run."""
    with provisioned_infra() as value:
        yield value
