"""RabbitMQ nodes of the tests' own on this machine, beside the development broker: each with its
own name, ports and data directory under /var/lib/rabbitmq, the machine's Erlang cookie (the nodes
run as the rabbitmq user), and only the plugins asked for. The cluster test starts three; a test
worker of a parallel run starts one, so that what a test does to its broker (a restart, a changed
setting, cut connections) reaches no other worker's tests."""

import contextlib
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

HOME = Path("/var/lib/rabbitmq")


def ctl(node: str, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        ["rabbitmqctl", "-q", "-n", node, *args], capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl -n {node} {' '.join(args)}: {done.stderr.strip()[-500:]}")
    return done.stdout


@dataclass(frozen=True)
class Node:
    name: str  # e.g. gf1@localhost
    folder: Path  # its configuration, data and logs
    port: int  # AMQP
    dist_port: int  # Erlang distribution
    management_port: int | None = None  # the management plugin's HTTP API, when wanted
    peers: tuple[str, ...] = ()  # running nodes it joins at its first boot (classic_config discovery)

    def start(self) -> None:
        """Started from an empty data directory (a node of that name left running is stopped)."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        config = [f"listeners.tcp.local = 127.0.0.1:{self.port}"]
        plugins = []
        if self.management_port is not None:
            config += [f"management.tcp.port = {self.management_port}", "management.tcp.ip = 127.0.0.1"]
            plugins.append("rabbitmq_management")
        if self.peers:
            config.append("cluster_formation.peer_discovery_backend = classic_config")
            config += [
                f"cluster_formation.classic_config.nodes.{i} = {peer}" for i, peer in enumerate(self.peers, 1)
            ]
        (self.folder / "rabbitmq.conf").write_text("\n".join(config) + "\n")
        (self.folder / "enabled_plugins").write_text(f"[{','.join(plugins)}].\n")
        for path in (self.folder, *self.folder.iterdir()):
            shutil.chown(path, "rabbitmq", "rabbitmq")
        env = " ".join(
            [
                f"RABBITMQ_NODENAME={self.name}",
                f"RABBITMQ_DIST_PORT={self.dist_port}",
                f"RABBITMQ_CONFIG_FILE={self.folder}/rabbitmq.conf",
                f"RABBITMQ_ENABLED_PLUGINS_FILE={self.folder}/enabled_plugins",
                f"RABBITMQ_MNESIA_BASE={self.folder}/mnesia",
                f"RABBITMQ_LOG_BASE={self.folder}/log",
                f"RABBITMQ_PID_FILE={self.folder}/pid",
                # Idle schedulers sleep rather than spin: the machine's cores are the tests'.
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='+sbwt none +sbwtdcpu none +sbwtdio none'",
            ]
        )
        command = f"cd {HOME} && env {env} /usr/lib/rabbitmq/bin/rabbitmq-server -detached"
        subprocess.run(["su", "rabbitmq", "-s", "/bin/sh", "-c", command], check=True, timeout=60)

    def await_startup(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                ctl(self.name, "await_startup", "--timeout", "10", timeout=30)
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            ctl(self.name, "shutdown", timeout=60)
