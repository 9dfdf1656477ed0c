"""Where a run's CPU goes, from /proc: each service's processes (a grader's with its sandboxes),
PostgreSQL's and RabbitMQ's by name, the kernel's threads, everything else, and what the machine
left idle. A snapshot is each group's CPU seconds so far; two snapshots' difference is what each
group spent in between (the scale-out run takes one at each step, bench/pipeline.py).

A process's own time and its reaped children's (cutime, cstime) are both counted, for every live
process: a sandbox that ran and was reaped between two snapshots is in its parent's count, and
one still running is in its own, never in both."""

import os
from pathlib import Path

from bench.memory import processes, tree

BY_NAME = {
    "postgres": ("postgres",),
    "rabbitmq": ("beam.smp", "erl_child_setup", "epmd", "inet_gethost"),
}
_TICK = os.sysconf("SC_CLK_TCK")


def snapshot(services: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far: each of `services` (its processes' trees), the groups BY_NAME, the
    kernel's threads, the rest (`other`), and the machine's idle and busy seconds."""
    procs = processes()
    # utime stime cutime cstime
    seconds = {pid: sum(int(f) for f in p.stat[11:15]) / _TICK for pid, p in procs.items()}
    totals: dict[str, float] = {}
    counted: set[int] = set()
    for service, roots in services.items():
        mine = {pid for root in roots for pid in tree(root, procs) if pid in procs} - counted
        counted |= mine
        totals[service] = sum(seconds[pid] for pid in mine)
    for pid, process in procs.items():
        if pid in counted:
            continue
        group = next((g for g, names in BY_NAME.items() if process.name.startswith(names)), None)
        if group is None:
            group = "kernel" if pid == 2 or process.parent == 2 else "other"
        totals[group] = totals.get(group, 0.0) + seconds[pid]
    times = [int(v) / _TICK for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    totals["idle"] = times[3] + times[4]  # idle, iowait
    totals["busy"] = sum(times) - totals["idle"]
    return totals


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Each group's CPU seconds between two snapshots (a group that appeared: all of its own)."""
    return {group: after[group] - before.get(group, 0.0) for group in after}
