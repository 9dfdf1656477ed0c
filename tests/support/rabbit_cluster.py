"""A three-node RabbitMQ cluster on this machine, beside the development broker: nodes
`gf1@localhost` … `gf3@localhost` on AMQP ports 5681-5683, each with its own data directory, the
machine's Erlang cookie (the nodes run as the rabbitmq user), no plugins. Made afresh and removed
by the test that uses it."""

import contextlib
import json
import shutil
import subprocess
import time
from pathlib import Path

BASE = Path("/var/lib/rabbitmq/gradeflow-cluster")
NODES = ("gf1@localhost", "gf2@localhost", "gf3@localhost")
PORTS = (5681, 5682, 5683)


def ctl(node: str, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        ["rabbitmqctl", "-q", "-n", node, *args], capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl -n {node} {' '.join(args)}: {done.stderr.strip()[-500:]}")
    return done.stdout


def _start_node(index: int) -> None:
    folder = BASE / f"gf{index + 1}"
    folder.mkdir(parents=True)
    (folder / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{PORTS[index]}\n")
    (folder / "enabled_plugins").write_text("[].\n")
    shutil.chown(folder, "rabbitmq", "rabbitmq")
    for file in folder.iterdir():
        shutil.chown(file, "rabbitmq", "rabbitmq")
    env = " ".join(
        [
            f"RABBITMQ_NODENAME={NODES[index]}",
            f"RABBITMQ_DIST_PORT={25681 + index}",
            f"RABBITMQ_CONFIG_FILE={folder}/rabbitmq.conf",
            f"RABBITMQ_ENABLED_PLUGINS_FILE={folder}/enabled_plugins",
            f"RABBITMQ_MNESIA_BASE={folder}/mnesia",
            f"RABBITMQ_LOG_BASE={folder}/log",
            f"RABBITMQ_PID_FILE={folder}/pid",
        ]
    )
    command = f"cd /var/lib/rabbitmq && env {env} /usr/lib/rabbitmq/bin/rabbitmq-server -detached"
    subprocess.run(["su", "rabbitmq", "-s", "/bin/sh", "-c", command], check=True, timeout=60)


def _await(node: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            ctl(node, "await_startup", "--timeout", "10", timeout=30)
            return
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


class RabbitCluster:
    def start(self) -> None:
        self.stop()
        shutil.rmtree(BASE, ignore_errors=True)
        BASE.mkdir(parents=True)
        shutil.chown(BASE, "rabbitmq", "rabbitmq")
        for index in range(len(NODES)):
            _start_node(index)
        for node in NODES:
            _await(node)
        for node in NODES[1:]:
            ctl(node, "stop_app")
            ctl(node, "reset")
            ctl(node, "join_cluster", NODES[0])
            ctl(node, "start_app")
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
        _await(node)

    def stop(self) -> None:
        for node in NODES:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                ctl(node, "shutdown", timeout=60)
