"""The broker as production runs it, three nodes, behind one address (a proxy connecting each
client to the first node that answers, as a Kubernetes Service would): under a steady load of
submissions, the node that leads the submissions queue is stopped and brought back. Every
submission is answered 202, and every one is graded, published and emailed once."""

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest

from gradeflow_shared.topology import GRADER_SUBMISSIONS
from gradeflow_tools.scratch import Infra, provisioned_infra
from gradeflow_tools.smtp_sink import start
from gradeflow_tools.stack import SERVICES, Stack
from tests.e2e.faults.conftest import ONE_TEST, RETRY_DELAYS_MS
from tests.support.api import classroom
from tests.support.load import emails_to, submit_many, tally, wait_all_done
from tests.support.rabbit_cluster import NODES, PORTS, RabbitCluster
from tests.support.smtp import FlakySink, free_port
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
LOAD = 1000


@pytest.fixture(scope="module")
def cluster() -> Iterator[RabbitCluster]:
    nodes = RabbitCluster()
    nodes.start()
    yield nodes
    nodes.stop()


@pytest.fixture(scope="module")
def cluster_stack(cluster: RabbitCluster) -> Iterator[tuple[Stack, Infra, FlakySink]]:
    proxy = TcpProxy("127.0.0.1", *PORTS)
    proxy.start()
    sink = FlakySink(keep=False)
    sink.port = free_port()
    controller = start(sink, sink.port)
    with provisioned_infra("gradeflow_cluster") as infra:
        cluster.add_vhost(infra.vhost)
        config = infra.stack_config(
            ports={s: free_port() for s in SERVICES},
            extra_env={
                "AMQP_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}/{infra.vhost}",
                "RETRY_DELAYS_MS": json.dumps(RETRY_DELAYS_MS),
                "GRACEFUL_TIMEOUT_SECONDS": "10",
                "LOG_LEVEL": "WARNING",
                "SMTP_PORT": str(sink.port),
            },
        )
        stack = Stack(config)
        stack.start()
        try:
            yield stack, infra, sink
        finally:
            stack.stop()
            controller.stop()
            proxy.stop()


async def test_the_submissions_leader_stopped_and_back_loses_and_repeats_nothing(
    cluster: RabbitCluster, cluster_stack: tuple[Stack, Infra, FlakySink]
) -> None:
    stack, infra, sink = cluster_stack
    queue = GRADER_SUBMISSIONS.queue
    assert sorted(cluster.members(infra.vhost, queue)) == sorted(NODES), "replicated on all three"
    async with httpx.AsyncClient(base_url=stack.config.url("gateway"), timeout=30) as gateway:
        room = await classroom(gateway, students=8, tests=ONE_TEST)
        # About 60 a second for some 17 s: before, during and after the node's absence.
        load = asyncio.create_task(
            submit_many(gateway, room.assignment_id, room.students, LOAD, concurrency=4, pause=0.05)
        )
        await asyncio.sleep(3)  # part of the load is in; the rest arrives while the leader is away
        leader = cluster.leader(infra.vhost, queue)
        try:
            await asyncio.to_thread(cluster.stop_app, leader)
            assert not load.done(), "the node stops while submissions arrive"
            await asyncio.sleep(3)
            moved = cluster.leader(infra.vhost, queue)
            assert moved != leader, "another node leads the queue"
            await asyncio.sleep(5)
        finally:
            await asyncio.to_thread(cluster.start_app, leader)
        assert not load.done(), "submissions still arrive when the node is back"
        sent = await load
    assert sent.statuses[202] == LOAD, f"not answered 202 throughout: {sent.statuses}"
    row = await wait_all_done(infra.admin_url, sent.accepted, timeout=600)
    result = tally(sent, row, await emails_to(sink, room.students, LOAD))
    result.record("RabbitMQ cluster: the submissions queue's leader stopped", f"leader={leader}")
    print(result)
    assert (result.lost, result.duplicated) == (0, 0)
    assert result.processed == LOAD
