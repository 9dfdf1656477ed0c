"""Database kit: one async engine per service, one session per unit of work.

`async with sessions.begin() as session:` is the unit of work: it commits when the block ends and
rolls back on any exception, so nothing half-written survives a failure.
"""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SessionFactory = async_sessionmaker[AsyncSession]


def make_engine(url: str, schema: str, pool_size: int = 10) -> AsyncEngine:
    """An engine whose connections resolve unqualified names in the service's own schema only.
    A fixed pool: overflow connections were opened and closed under every burst (a connect costs
    more than the request). No pre-ping (a round trip per checkout): a connection the database
    dropped fails its statement, is invalidated by SQLAlchemy, and the request answers 503."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=5,
        connect_args={"server_settings": {"search_path": schema}, "timeout": 5},
    )


def make_sessions(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
