"""CPU-heavy pure work in a process of its own (a roster's parse: e-mail checks of a hundred
thousand lines): in a thread it would share the interpreter's lock with the event loop, and every
other request would wait its turn for it. One worker, started at the first use and kept, at a lower
CPU priority than the service (nice 10): on a busy node the requests come first."""

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

R = TypeVar("R")


class ProcessOffload:
    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    async def __call__(self, fn: Callable[..., R], /, *args: Any) -> R:
        if self._pool is None:
            # forkserver: a clean interpreter, not a copy of the service's threads and sockets.
            self._pool = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("forkserver"), initializer=os.nice, initargs=(10,)
            )
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
