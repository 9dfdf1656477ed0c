"""No-op job throughput on the same RabbitMQ in one run: the project's consumer stack
(FastStream's subscriber under gradeflow_shared/messaging.py: validation, envelope, time limit,
settling, acks, telemetry) against itself without job telemetry (what reporting costs), raw
aio-pika and Celery (the peer a Python user would pick), each on a quorum queue filled beforehand
with the same number of persistent messages, each acking after its handler ran, with the same
prefetch. Throughput is counted from the first job done to the last; CPU is the consumer's (all
its processes) over the same span. Prints the figures and writes bench/results/consumers.json.

    uv run python -m bench.consumers [--messages 20000] [--prefetch 16]
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import aio_pika
import typer
import uvloop

from bench import results
from bench.memory import cpu_seconds
from gradeflow_shared.broker import Publisher, declare_topology, message_for
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import GradingStarted
from gradeflow_shared.messaging import Messaging, MessagingPolicy, Mode
from gradeflow_shared.telemetry import Telemetry
from gradeflow_shared.topology import EXCHANGE, Route
from gradeflow_tools.scratch import provisioned_infra

ROOT = Path(__file__).parent.parent
cli = typer.Typer(add_completion=False)
ROUNDS = 3


async def _fill(url: str, route: Route, messages: int) -> None:
    """Declare `route`'s queue as the kit declares it and publish `messages` events to it."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        spec = route.work_queue()
        queue = await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
        await queue.bind(EXCHANGE.name, routing_key=route.routing_key)
    publisher = Publisher(url)
    try:
        for start in range(0, messages, 500):
            batch = []
            for _ in range(min(500, messages - start)):
                event = GradingStarted(submission_id=uuid4(), started_at=datetime.now(UTC))
                batch.append(
                    (
                        message_for(event.model_dump_json().encode(), Envelope.for_event(event)),
                        route.routing_key,
                    )
                )
            failed = [f for f in await publisher.publish_many(batch) if f is not None]
            assert not failed, failed[0]
    finally:
        await publisher.close()


async def _holding(url: str, queue: str, messages: int, timeout: float = 120.0) -> None:
    """Wait until `queue` holds `messages` ready messages (a fill sent without confirms)."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        deadline = time.monotonic() + timeout
        while True:
            declared = await channel.declare_queue(queue, passive=True)
            count = declared.declaration_result.message_count or 0
            if count >= messages:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{queue} holds {count} of {messages} messages")
            await asyncio.sleep(0.2)


class _Count:
    """Counts jobs; the time and CPU at the first and at the `expected`-th."""

    def __init__(self, expected: int) -> None:
        self.expected, self.done = expected, 0
        self.first: tuple[float, float] | None = None
        self.all_done = asyncio.Event()
        self.last: tuple[float, float] = (0.0, 0.0)

    def tick(self) -> None:
        self.done += 1
        if self.first is None:
            self.first = (time.monotonic(), time.process_time())
        if self.done == self.expected:
            self.last = (time.monotonic(), time.process_time())
            self.all_done.set()

    def report(self) -> dict[str, float]:
        assert self.first is not None
        seconds, cpu = self.last[0] - self.first[0], self.last[1] - self.first[1]
        jobs = self.expected - 1  # the first job starts the clock
        return {
            "seconds": round(seconds, 3),
            "per_second": round(jobs / seconds, 1),
            "cpu_ms_per_job": round(1000 * cpu / jobs, 3),
        }


async def _consume_raw(url: str, queue: str, count: _Count, prefetch: int) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        work = await channel.get_queue(queue, ensure=False)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            await message.ack()
            count.tick()

        await work.consume(on_message)
        await count.all_done.wait()


async def _consume_kit(url: str, route: Route, count: _Count, prefetch: int, report: bool = True) -> None:
    publisher = Publisher(url)
    await publisher.connect()
    telemetry = Telemetry(publisher)
    messaging = Messaging.build(url, publisher, MessagingPolicy((1000,), 30.0, prefetch), telemetry)

    async def no_op(event: GradingStarted, envelope: Envelope) -> None:
        count.tick()

    # report=False: no job telemetry
    messaging.add(route, GradingStarted, no_op, mode=Mode.OUTSIDE, report=report)
    await messaging.start()
    try:
        await count.all_done.wait()
    finally:
        await messaging.stop()
        await messaging.close()
        await telemetry.close()
        await publisher.close()


@cli.command()
def consume(kind: str, url: str, queue: str, messages: int, prefetch: int) -> None:
    """(In its own process.) Consume `messages` jobs from `queue`, print the figures as JSON."""
    count = _Count(messages)
    # On uvloop, as the services run (uvicorn's loop); raw aio-pika on the same loop.
    if kind in ("kit", "kit-quiet"):
        uvloop.run(_consume_kit(url, Route(queue, queue), count, prefetch, report=kind == "kit"))
    else:
        uvloop.run(_consume_raw(url, queue, count, prefetch))
    print(json.dumps(count.report()))


def _own(kind: str, url: str, messages: int, prefetch: int) -> dict[str, Any]:
    route = Route(f"bench.{kind}", f"bench.{kind}")
    asyncio.run(_fill(url, route, messages))
    argv = [
        sys.executable,
        "-m",
        "bench.consumers",
        "consume",
        kind,
        url,
        route.queue,
        str(messages),
        str(prefetch),
    ]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _celery(url: str, messages: int, prefetch: int, pool: str, concurrency: int) -> dict[str, Any]:
    queue = f"bench.celery.{pool}"
    with tempfile.TemporaryDirectory() as tmp:
        count_file = Path(tmp) / "count"
        env = {
            **os.environ,
            "BENCH_AMQP_URL": url,
            "BENCH_QUEUE": queue,
            "BENCH_PREFETCH": str(max(1, prefetch // concurrency)),  # per process: the same in all
            "BENCH_COUNT_FILE": str(count_file),
        }
        fill = (
            "from bench.celery_noop import noop\nfor _ in range(int(__import__('sys').argv[1])): noop.delay()"
        )
        subprocess.run(
            [sys.executable, "-c", fill, str(messages)],
            cwd=ROOT, env={**env, "BENCH_FILL": "1"}, check=True, timeout=600,
        )  # fmt: skip
        asyncio.run(_holding(url, queue, messages))
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bench.celery_noop", "worker", "--pool", pool,
             "--concurrency", str(concurrency), "--queues", queue, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel", "WARNING"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            cpu_first = None
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                done = count_file.stat().st_size if count_file.exists() else 0
                if done and cpu_first is None:
                    cpu_first = cpu_seconds(worker.pid)
                if done >= messages:
                    break
                time.sleep(0.005)
            last, cpu_last = time.monotonic(), cpu_seconds(worker.pid)
            first = min(float(p.read_text()) for p in Path(tmp).glob("count.first.*"))
        finally:
            worker.terminate()
            worker.wait(30)
    seconds, jobs = last - first, messages - 1
    return {
        "seconds": round(seconds, 3),
        "per_second": round(jobs / seconds, 1),
        "cpu_ms_per_job": round(1000 * (cpu_last - (cpu_first or 0.0)) / jobs, 3),
        "pool": pool,
        "concurrency": concurrency,
    }


@cli.callback(invoke_without_command=True)
def main(ctx: typer.Context, messages: int = typer.Option(20_000), prefetch: int = typer.Option(16)) -> None:
    """Every contender, one after another, on one scratch vhost."""
    if ctx.invoked_subcommand is not None:
        return
    report: dict[str, Any] = {"messages": messages, "prefetch": prefetch}
    with provisioned_infra("gradeflow_bench") as infra:
        asyncio.run(declare_topology(infra.amqp_url, (1000,)))  # the telemetry queue, as deployed
        report["aio_pika"] = _own("raw", infra.amqp_url, messages, prefetch)
        print("aio-pika", report["aio_pika"], flush=True)
        # The stack with and without job telemetry (what reporting every job costs), in turns, three
        # rounds each: one round's difference is within the machine's noise; the medians are kept.
        rounds: dict[str, list[dict[str, Any]]] = {"kit": [], "kit_without_telemetry": []}
        for _ in range(ROUNDS):
            for kind, key in (("kit-quiet", "kit_without_telemetry"), ("kit", "kit")):
                rounds[key].append(_own(kind, infra.amqp_url, messages, prefetch))
                print(key, rounds[key][-1], flush=True)
        for key, runs in rounds.items():
            report[key] = {**sorted(runs, key=lambda r: r["per_second"])[len(runs) // 2], "rounds": runs}
        report["celery"] = _celery(infra.amqp_url, messages, prefetch, "prefork", os.cpu_count() or 1)
        print("celery", report["celery"], flush=True)
        report["celery_solo"] = _celery(infra.amqp_url, messages, prefetch, "solo", 1)
        print("celery solo", report["celery_solo"], flush=True)
    report["kit_over_celery"] = round(report["kit"]["per_second"] / report["celery"]["per_second"], 2)
    quiet = report["kit_without_telemetry"]["per_second"]
    report["telemetry_cost_percent"] = round(100 * (quiet - report["kit"]["per_second"]) / quiet, 1)
    results.write("consumers", report)


if __name__ == "__main__":
    cli()
