"""Fixtures shared by every test package: real infrastructure for this test run.

The suite runs in parallel workers (`make test`: pytest-xdist, a test file or package to a
worker). The first worker uses the machine's RabbitMQ; every other starts a node of its own for the
run, so that what a test does to its broker (a restart, a changed setting, cut connections) reaches
no other worker's tests. PostgreSQL, Redis and the sandbox are shared: each test's database, keys and
sandbox uids are its own."""

import os
from collections.abc import Iterator

import pytest
from _pytest.terminal import TerminalReporter

from tests.support.infra import Infra, provisioned_infra
from tests.support.load import REPORT
from tests.support.rabbit_node import HOME, Node

# What a worker takes at once: a test file, or a package whose fixtures start a system of its own
# for all its files (the fault tests, the operations tests).
PACKAGES = ("tests/e2e/faults/", "tests/e2e/operations/")
# The longest, most of it waiting on the clock (a broker restart, an LMS down for a minute, an
# alert's hold and resolve times, a cluster's nodes, the schema fuzzing), handed out first so that
# the rest fill the workers around them; then the other end-to-end files, then everything else.
FIRST = (
    "tests/e2e/faults/",
    "tests/e2e/test_lti.py",
    "tests/e2e/operations/",
    "tests/e2e/cluster/test_node_lost.py",
    "tests/e2e/test_api_schema.py",
)


_NODE = pytest.StashKey[Node]()  # a worker's own broker


def _worker_node(worker: str) -> Node:
    index = int(worker.removeprefix("gw"))
    name = f"gfw{index}"
    return Node(
        f"{name}@localhost", HOME / "gradeflow-workers" / name, 5700 + index, 25700 + index, 15700 + index
    )


def pytest_configure(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None or worker == "gw0":
        return
    node = _worker_node(worker)
    node.start()  # it boots while the worker collects (awaited before the first test)
    config.stash[_NODE] = node
    os.environ["TEST_AMQP_URL"] = f"amqp://guest:guest@127.0.0.1:{node.port}"
    os.environ["TEST_RABBITMQ_NODE"] = node.name
    os.environ["RABBITMQ_MANAGEMENT_URL"] = f"http://127.0.0.1:{node.management_port}"


def pytest_unconfigure(config: pytest.Config) -> None:
    node = config.stash.get(_NODE, None)
    if node is not None:
        node.stop()


def _group(path: str) -> str:
    """The work unit of a test file: the file, or the package that shares one system."""
    return next((p for p in PACKAGES if path.startswith(p)), path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """xdist's scheduling by scope, with the scope of each test its group (pytest-xdist's own
    `loadgroup` relies on rewriting test ids, which pytest 9 no longer allows)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid.split("::")[0])

    return ByGroup(config, log)  # type: ignore[arg-type]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = _group(item.nodeid.split("::")[0])
        if name in FIRST:
            return FIRST.index(name)
        return len(FIRST) + (0 if name.startswith("tests/e2e/") else 1)

    items.sort(key=rank)  # stable: within a rank, the order collected


@pytest.fixture(scope="session", autouse=True)
def _worker_broker(request: pytest.FixtureRequest) -> None:
    node = request.config.stash.get(_NODE, None)
    if node is not None:
        try:
            node.await_startup()
        except RuntimeError as error:  # every test of this worker would fail on it: stop the run
            pytest.exit(f"this worker's RabbitMQ node did not start (its log: {node.folder}/log): {error}", 3)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    """A fresh vhost and a migrated database (all four schemas and roles) for this test run."""
    with provisioned_infra() as value:
        yield value


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker hands its fault counts to the controller, which prints them."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["fault_counts"] = list(REPORT)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    REPORT.extend(getattr(node, "workeroutput", {}).get("fault_counts", []))


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    """The fault tests' counts (sent, accepted, processed, lost, duplicated), for the record."""
    if REPORT:
        terminalreporter.section("fault test counts")
        for line in REPORT:
            terminalreporter.write_line(line)
