"""Imported at start-up by every Python process that has this directory on PYTHONPATH (the soak's
`--trace-memory`). The first SIGUSR1 starts tracemalloc; each later one writes a snapshot to
$GRADEFLOW_MEMTRACE_DIR/<pid>-<n>.snap. Started after the warm-up, a snapshot holds only what was
allocated since and is still alive: the growth, named by line. (Tracing from start-up instead
would make importing the services take minutes.)"""

import itertools
import os
import signal
import tracemalloc

_DIR = os.environ.get("GRADEFLOW_MEMTRACE_DIR")
if _DIR:
    _signalled = itertools.count()

    def _on_signal(_signum: int, _frame: object) -> None:
        n = next(_signalled)
        path = os.path.join(_DIR, f"{os.getpid()}-{n}.snap")
        if n == 0:
            tracemalloc.start(int(os.environ.get("GRADEFLOW_MEMTRACE_FRAMES", "10")))
            open(path, "wb").close()  # an empty mark: tracing has started
            return
        tracemalloc.take_snapshot().dump(path + ".part")
        os.replace(path + ".part", path)  # whole or absent: the reader polls for it

    signal.signal(signal.SIGUSR1, _on_signal)
