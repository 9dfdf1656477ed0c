"""The life of a service process: connect, declare the topology, consume, relay the outbox; and on
SIGTERM stop consuming, let in-flight messages finish, flush the outbox, close connections."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from faststream.rabbit import RabbitBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from gradeflow_shared.broker import declare_topology
from gradeflow_shared.db import ping
from gradeflow_shared.health import Check
from gradeflow_shared.outbox import OutboxRelay


@dataclass
class Runtime:
    broker: RabbitBroker
    engine: AsyncEngine
    relay: OutboxRelay | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def checks(self) -> dict[str, Check]:
        return {
            "broker": lambda: self.broker.ping(timeout=1.5),
            "database": lambda: ping(self.engine),
        }

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        await self.broker.connect()
        await declare_topology(self.broker)
        await self.broker.start()
        if self.relay is not None:
            self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        try:
            yield
        finally:
            # broker.stop() cancels consumers and waits (graceful_timeout) for in-flight handlers.
            await self.broker.stop()
            if self.relay is not None:
                await self.relay.stop()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.engine.dispose()
