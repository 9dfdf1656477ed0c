"""Database kit: one async engine per service, one session per unit of work.

`async with sessions.begin() as session:` is the unit of work: it commits when the block ends and
rolls back on any exception, so nothing half-written survives a failure.
"""

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SessionFactory = async_sessionmaker[AsyncSession]


def make_engine(url: str, schema: str, pool_size: int = 10, pooled: bool = False) -> AsyncEngine:
    """An engine whose connections resolve unqualified names in the service's own schema only.
    A fixed pool: overflow connections were opened and closed under every burst (a connect costs
    more than the request). No pre-ping (a round trip per checkout): a connection the database
    dropped fails its statement, is invalidated by SQLAlchemy, and the request answers 503.

    `pooled`: the URL is a pooler's in transaction mode (PgBouncer), where consecutive
    transactions may land on different server connections: asyncpg keeps no prepared statement
    (and names each one uniquely), and the schema comes from the role's own search_path rather
    than a startup parameter PgBouncer would refuse."""
    connect_args: dict[str, object] = {"timeout": 5}
    if pooled:
        connect_args |= {
            "statement_cache_size": 0,  # asyncpg's own
            "prepared_statement_cache_size": 0,  # SQLAlchemy's, over asyncpg
            "prepared_statement_name_func": lambda: f"__gradeflow_{uuid.uuid4().hex}__",
        }
    else:
        connect_args["server_settings"] = {"search_path": schema}
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=5,
        connect_args=connect_args,
    )


def make_sessions(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
