"""The benchmarks' view of processes, from /proc: a process and its descendants, their CPU time,
resident memory; and each service's memory when idle (before the load) and at its peak while the
load runs, sampled every 100 ms (its main process: the sandboxes' processes are not the
service's)."""

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path


def tree(pid: int) -> list[int]:
    """`pid` and its descendants (a server's worker processes, Celery's pool)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of `pid` and its descendants."""
    total = 0.0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def largest_rss_mb(pid: int) -> float:
    """Resident memory of the largest of `pid` and its descendants."""
    return max(rss_mb(p) for p in tree(pid))


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


class Memory:
    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self.idle = {name: rss_mb(pid) for name, pid in pids.items()}
        self.peak = dict(self.idle)

    @contextlib.contextmanager
    def sampling(self, every: float = 0.1) -> Iterator[None]:
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(every):
                for name, pid in self._pids.items():
                    self.peak[name] = max(self.peak[name], rss_mb(pid))

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def figures(self) -> dict[str, dict[str, float]]:
        return {name: {"idle": self.idle[name], "peak": self.peak[name]} for name in self._pids}
