"""The benchmarks' view of processes, from /proc: a process and its descendants, their CPU time,
resident memory; and each service's memory when idle (before the load) and at its peak while the
load runs, sampled every 100 ms (its main process: the sandboxes' processes are not the
service's)."""

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple


class Process(NamedTuple):
    parent: int
    name: str
    stat: list[str]  # /proc/PID/stat's fields after the name: state, ppid, …, utime (11), stime …


def processes() -> dict[int, Process]:
    """Every process now, by pid, from /proc/PID/stat."""
    found = {}
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = path.read_text()
        except OSError:
            continue
        stat = text.rsplit(")", 1)[1].split()
        found[int(path.parent.name)] = Process(
            int(stat[1]), text[text.index("(") + 1 : text.rindex(")")], stat
        )
    return found


def tree(pid: int, procs: dict[int, Process] | None = None) -> list[int]:
    """`pid` and its descendants (a server's worker processes, Celery's pool), among `procs`
    (by default, the processes now)."""
    children: dict[int, list[int]] = {}
    for child, process in (procs if procs is not None else processes()).items():
        children.setdefault(process.parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of `pid` and its descendants."""
    procs = processes()
    ticks = sum(int(procs[p].stat[11]) + int(procs[p].stat[12]) for p in tree(pid, procs) if p in procs)
    return ticks / os.sysconf("SC_CLK_TCK")


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
