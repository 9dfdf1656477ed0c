"""What every use case needs, built once by the composition root."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared.db import SessionFactory
from gradeflow_shared.outbox import OutboxRelay


@dataclass(frozen=True)
class Context:
    sessions: SessionFactory
    relay: OutboxRelay

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """Commit at the end (rollback on error), then wake the relay for what was staged."""
        async with self.sessions.begin() as session:
            yield session
        self.relay.wake()
