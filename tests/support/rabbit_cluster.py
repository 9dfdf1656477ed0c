"""A three-node RabbitMQ cluster on this machine, beside the development broker: nodes
`gf1@localhost` … `gf3@localhost` on AMQP ports 5681-5683, each with its own data directory, the
machine's Erlang cookie (the nodes run as the rabbitmq user), no plugins. Made afresh and removed
by the test that uses it."""

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

from tests.support.rabbit_node import HOME, Node, ctl

BASE = HOME / "gradeflow-cluster"
NODES = ("gf1@localhost", "gf2@localhost", "gf3@localhost")
PORTS = (5681, 5682, 5683)
# The first node forms the cluster; the others find it in their configuration and join it as they
# boot (peer discovery from the node list), so no node is reset and rejoined by hand.
_NODES = [
    Node(name, BASE / name.split("@")[0], port, 25681 + index, peers=NODES[:1] if index else ())
    for index, (name, port) in enumerate(zip(NODES, PORTS, strict=True))
]


class RabbitCluster:
    def start(self) -> None:
        self.stop()
        shutil.rmtree(BASE, ignore_errors=True)
        BASE.mkdir(parents=True)
        shutil.chown(BASE, "rabbitmq", "rabbitmq")
        first, *others = _NODES
        first.start()
        first.await_startup()
        for node in others:
            node.start()
        for node in others:
            node.await_startup()
        running = ctl(NODES[0], "cluster_status", "--formatter", "json")
        assert sorted(json.loads(running)["running_nodes"]) == sorted(NODES), running

    def add_vhost(self, vhost: str) -> None:
        ctl(NODES[0], "add_vhost", vhost)
        ctl(NODES[0], "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")

    def _queue(self, vhost: str, queue: str, column: str) -> object:
        """A column of the queue's row, asked of the first node whose broker runs."""
        for node in NODES:
            try:
                rows = json.loads(
                    ctl(node, "list_queues", "-p", vhost, "name", column, "--formatter", "json")
                )
            except RuntimeError:
                continue
            return next(row[column] for row in rows if row["name"] == queue)
        raise RuntimeError("no node of the cluster answers")

    def leader(self, vhost: str, queue: str) -> str:
        return str(self._queue(vhost, queue, "leader"))

    def members(self, vhost: str, queue: str) -> list[str]:
        return list(self._queue(vhost, queue, "members"))  # type: ignore[call-overload]

    def stop_app(self, node: str) -> None:
        """The node's broker stopped (its connections closed, its listener gone), the VM kept."""
        ctl(node, "stop_app")

    def start_app(self, node: str) -> None:
        ctl(node, "start_app")
        next(n for n in _NODES if n.name == node).await_startup()

    def stop(self) -> None:
        """Every node shut down, all at once."""
        with ThreadPoolExecutor(len(_NODES)) as pool:
            list(pool.map(Node.stop, _NODES))
