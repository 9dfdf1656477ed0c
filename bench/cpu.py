"""Where a run's CPU goes, from /proc: each service's processes (a grader's with its sandboxes),
PostgreSQL's and RabbitMQ's by name, the kernel's threads, everything else, and what the machine
left idle. A snapshot is each group's CPU seconds so far; two snapshots' difference is what each
group spent in between (the scale-out run takes one at each step, bench/pipeline.py).

A process's own time and its reaped children's (cutime, cstime) are both counted, for every live
process: a sandbox that ran and was reaped between two snapshots is in its parent's count, and
one still running is in its own, never in both."""

import os
from pathlib import Path

BY_NAME = {
    "postgres": ("postgres",),
    "rabbitmq": ("beam.smp", "erl_child_setup", "epmd", "inet_gethost"),
}
_TICK = os.sysconf("SC_CLK_TCK")


def snapshot(services: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far: each of `services` (its processes' trees), the groups BY_NAME, the
    kernel's threads, the rest (`other`), and the machine's idle and busy seconds."""
    procs: dict[int, tuple[int, str, float]] = {}  # pid: parent, name, seconds
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1].split()
        seconds = sum(int(f) for f in rest[11:15]) / _TICK  # utime stime cutime cstime
        procs[int(stat.parent.name)] = (int(rest[1]), name, seconds)
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in procs.items():
        children.setdefault(parent, []).append(pid)
    totals: dict[str, float] = {}
    counted: set[int] = set()
    for service, roots in services.items():
        todo = list(roots)
        while todo:
            pid = todo.pop()
            if pid in procs and pid not in counted:
                counted.add(pid)
                totals[service] = totals.get(service, 0.0) + procs[pid][2]
                todo += children.get(pid, [])
    for pid, (parent, name, seconds) in procs.items():
        if pid in counted:
            continue
        group = next((g for g, names in BY_NAME.items() if name.startswith(names)), None)
        if group is None:
            group = "kernel" if pid == 2 or parent == 2 else "other"
        totals[group] = totals.get(group, 0.0) + seconds
    times = [int(v) / _TICK for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    totals["idle"] = times[3] + times[4]  # idle, iowait
    totals["busy"] = sum(times) - totals["idle"]
    return totals


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Each group's CPU seconds between two snapshots (a group that appeared: all of its own)."""
    return {group: after[group] - before.get(group, 0.0) for group in after}
