"""A PostgreSQL schema of a test's own, dropped afterwards: what a test writes there no running
service (its relay, its consumers) ever sees."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

from gradeflow_shared.db import make_engine
from tests.support.infra import Infra


@asynccontextmanager
async def private_schema(
    infra: Infra, tables: Callable[[MetaData], object]
) -> AsyncIterator[tuple[AsyncEngine, MetaData]]:
    """`tables(metadata)` declares the tables, created in a fresh schema; (engine, metadata)."""
    schema = f"t_{uuid.uuid4().hex[:8]}"
    engine = make_engine(infra.admin_url.replace("postgresql://", "postgresql+asyncpg://"), schema)
    metadata = MetaData(schema=schema)
    tables(metadata)
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA {schema}"))
        await connection.run_sync(metadata.create_all)
    try:
        yield engine, metadata
    finally:
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await engine.dispose()
