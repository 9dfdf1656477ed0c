"""Resident memory of the services a benchmark runs: each one's when idle (before the load) and
its peak while the load runs, sampled every 100 ms from /proc (a service with several processes:
its largest, with the sandboxes' processes, which are not the service's, left out)."""

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path


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
