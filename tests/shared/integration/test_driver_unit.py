"""What is the driver unit's own, on the real PostgreSQL (the contract it shares with the SQL unit
is tested on both in test_unit_of_work.py): its outbox rows are the SQL unit's; a row the database
refuses raises asyncpg's constraint error and leaves nothing; a connection the database drops is
`Unavailable`, and the pool's next unit gets a working connection."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gradeflow_shared.db import make_sessions
from gradeflow_shared.driver_unit import DRIVER_CONSTRAINT_ERRORS, DriverUnitsOfWork
from gradeflow_shared.errors import Unavailable
from gradeflow_shared.events import GradingStarted
from gradeflow_shared.kit_tables import inbox_table, outbox_table
from gradeflow_shared.unit_of_work import SqlUnitsOfWork
from tests.support.infra import Infra
from tests.support.schemas import private_schema

pytestmark = pytest.mark.integration


@dataclass
class Kit:
    engine: AsyncEngine
    units: DriverUnitsOfWork[asyncpg.Connection]
    outbox: Table
    inbox: Table

    async def rows(self, table: Table) -> list[Any]:
        async with self.engine.connect() as conn:
            return list(await conn.execute(select(table)))

    async def count(self, table: Table) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
async def kit(infra: Infra) -> AsyncIterator[Kit]:
    """The kit's tables in a schema of their own; the repositories are the bare connection."""
    async with private_schema(infra, lambda m: (outbox_table(m), inbox_table(m))) as (engine, metadata):
        outbox, inbox = (metadata.tables[f"{metadata.schema}.{name}"] for name in ("outbox", "inbox"))
        yield Kit(engine, DriverUnitsOfWork(engine, lambda conn: conn, outbox, inbox), outbox, inbox)


def _event() -> GradingStarted:
    return GradingStarted(submission_id=uuid.uuid4(), started_at=datetime.now(UTC))


async def test_its_outbox_rows_are_those_the_sql_unit_writes(kit: Kit) -> None:
    """The relay reads both kinds of row alike: same columns, same headers, same body."""
    event = _event()
    async with kit.units() as uow:
        uow.add_event(event, "c-driver")
        await uow.commit()
    sql_units = SqlUnitsOfWork(make_sessions(kit.engine), lambda s: s, kit.outbox, kit.inbox)
    async with sql_units() as sql_uow:
        sql_uow.add_event(event, "c-sql")
        await sql_uow.commit()
    driver, sql = sorted(await kit.rows(kit.outbox), key=lambda r: r.correlation_id != "c-driver")
    assert (driver.routing_key, driver.message_type, driver.body) == (
        sql.routing_key,
        sql.message_type,
        sql.body,
    )
    assert driver.headers.keys() == sql.headers.keys() and driver.headers["x-schema-version"] == event.version
    assert driver.published_at is None and driver.id != sql.id


async def test_a_row_the_database_refuses_raises_its_constraint_error_and_leaves_nothing(kit: Kit) -> None:
    with pytest.raises(DRIVER_CONSTRAINT_ERRORS):
        async with kit.units() as uow:
            await uow.claim("m-6", "q")
            uow.add_event(_event())
            await uow.repos.execute(
                f"INSERT INTO {kit.inbox.fullname} (message_id, queue) VALUES ('x', NULL)"
            )
    assert (await kit.count(kit.outbox), await kit.count(kit.inbox)) == (0, 0)


async def test_a_dropped_connection_is_unavailable_and_replaced_in_the_pool(kit: Kit, infra: Infra) -> None:
    with pytest.raises(Unavailable):
        async with kit.units() as uow:
            pid = await uow.repos.fetchval("SELECT pg_backend_pid()")
            admin = await asyncpg.connect(infra.admin_url)
            try:
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
            finally:
                await admin.close()
            await uow.claim("m-8", "q")
    for n in range(12):  # more units than the pool has connections: none gets the dropped one
        async with kit.units() as uow:
            await uow.claim(f"after-{n}", "q")
            await uow.commit()
    assert await kit.count(kit.inbox) == 12
