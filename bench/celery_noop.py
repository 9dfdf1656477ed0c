"""The Celery side of bench/consumers.py: a no-op task on a quorum queue, acked late (after it ran,
as the project's consumers ack), its broker from BENCH_AMQP_URL. Each task run appends one byte to
BENCH_COUNT_FILE, and each worker process writes the time of its first task once, so the
benchmark can tell when all are done without a result backend."""

import os
import time

from celery import Celery
from celery.signals import task_postrun

QUEUE = os.environ.get("BENCH_QUEUE", "bench.celery")
app = Celery("bench_noop", broker=os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"))
app.conf.update(
    task_acks_late=True,
    task_ignore_result=True,
    task_default_queue=QUEUE,
    task_default_queue_type="quorum",
    worker_detect_quorum_queues=True,
    worker_prefetch_multiplier=int(os.environ.get("BENCH_PREFETCH", "16")),
    # Confirmed, as the project's publishes are; the benchmark's fill, which is not measured, sends
    # without waiting for each confirm (BENCH_FILL) and then waits for the queue to hold them all.
    broker_transport_options={"confirm_publish": not os.environ.get("BENCH_FILL")},
    worker_hijack_root_logger=False,
)


@app.task  # type: ignore[untyped-decorator]
def noop() -> None:
    return None


_count_fd: int | None = None


@task_postrun.connect  # type: ignore[untyped-decorator]
def _counted(**_: object) -> None:
    global _count_fd
    if _count_fd is None:
        path = os.environ["BENCH_COUNT_FILE"]
        with open(f"{path}.first.{os.getpid()}", "w") as first:
            first.write(repr(time.monotonic()))
        _count_fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.write(_count_fd, b".")
