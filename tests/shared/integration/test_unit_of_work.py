"""The unit of work on the real PostgreSQL, both kinds (the SQL unit and the driver unit: the
contract tests run on each): events reach the outbox and claims the inbox only when it commits;
uncommitted or failed, nothing stays; the relay is woken only after a commit that staged events; a
database it cannot reach is `Unavailable`. Messages handled together share a unit of work, and one
that fails its batch fails alone."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gradeflow_shared.db import make_engine, make_sessions
from gradeflow_shared.driver_unit import DriverUnitsOfWork
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.errors import Unavailable
from gradeflow_shared.events import GradingStarted
from gradeflow_shared.kit_tables import inbox_table, outbox_table
from gradeflow_shared.topology import GATEWAY_GRADING_STARTED
from gradeflow_shared.unit_of_work import (
    SqlUnitsOfWork,
    UnitOfWork,
    UnitsOfWork,
    claimed_together,
    idempotent_together,
)
from tests.support.infra import Infra
from tests.support.schemas import private_schema

pytestmark = pytest.mark.integration


@dataclass
class Kit:
    engine: AsyncEngine
    units: SqlUnitsOfWork[AsyncSession]
    outbox: Table
    inbox: Table
    wakes: list[int]

    async def count(self, table: Table) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(table)) or 0)

    def units_of(self, kind: str, engine: AsyncEngine | None = None) -> UnitsOfWork[Any]:
        """Units of `kind` ("sql" or "driver") on `engine` (the kit's own), waking the kit's relay."""
        engine, wake = engine or self.engine, lambda: self.wakes.append(1)
        if kind == "sql":
            return SqlUnitsOfWork(make_sessions(engine), lambda s: s, self.outbox, self.inbox, wake)
        return DriverUnitsOfWork(engine, lambda conn: conn, self.outbox, self.inbox, wake)


@pytest.fixture
async def kit(infra: Infra) -> AsyncIterator[Kit]:
    """The kit's tables in a schema of their own; the repositories are the bare session."""
    async with private_schema(infra, lambda m: (outbox_table(m), inbox_table(m))) as (engine, metadata):
        outbox, inbox = (metadata.tables[f"{metadata.schema}.{name}"] for name in ("outbox", "inbox"))
        wakes: list[int] = []
        units = SqlUnitsOfWork(make_sessions(engine), lambda s: s, outbox, inbox, lambda: wakes.append(1))
        yield Kit(engine, units, outbox, inbox, wakes)


@pytest.fixture(params=["sql", "driver"])
def units(kit: Kit, request: pytest.FixtureRequest) -> UnitsOfWork[Any]:
    """Each kind of unit on the kit's tables: the contract tests run on both."""
    return kit.units_of(request.param)


def _event() -> GradingStarted:
    return GradingStarted(submission_id=uuid.uuid4(), started_at=datetime.now(UTC))


async def test_a_commit_writes_events_and_claims_together_then_wakes_the_relay(
    kit: Kit, units: UnitsOfWork[Any]
) -> None:
    async with units() as uow:
        assert await uow.claim("m-1", "q")
        assert await uow.claim_all(["m-2", "m-2", "m-1"], "q") == {"m-2"}, "claimed once, in the same unit"
        uow.add_event(_event(), "c-1")
        uow.add_event(_event())
        await uow.commit()
    assert (await kit.count(kit.outbox), await kit.count(kit.inbox), kit.wakes) == (2, 2, [1])
    async with units() as uow:
        assert await uow.seen("m-1") and not await uow.claim("m-1", "q"), "a redelivery is a no-op"
        assert not await uow.seen("m-3")


async def test_nothing_stays_of_a_unit_left_uncommitted_or_failed(kit: Kit, units: UnitsOfWork[Any]) -> None:
    async with units() as uow:
        await uow.claim("m-2", "q")
        uow.add_event(_event())
    with pytest.raises(RuntimeError):
        async with units() as uow:
            await uow.claim("m-3", "q")
            uow.add_event(_event())
            raise RuntimeError("the use case failed")
    assert (await kit.count(kit.outbox), await kit.count(kit.inbox), kit.wakes) == (0, 0, [])


async def test_a_commit_without_events_does_not_wake_the_relay(kit: Kit, units: UnitsOfWork[Any]) -> None:
    async with units() as uow:
        await uow.claim("m-4", "q")
        await uow.commit()
    assert (await kit.count(kit.inbox), kit.wakes) == (1, [])


@pytest.mark.parametrize("kind", ["sql", "driver"])
async def test_an_unreachable_database_is_unavailable(kit: Kit, kind: str) -> None:
    engine = make_engine("postgresql+asyncpg://nobody:pw@127.0.0.1:1/none", "x")
    try:
        with pytest.raises(Unavailable):
            async with kit.units_of(kind, engine)():
                pass
    finally:
        await engine.dispose()


class Counted:
    """The kit's units of work, counting how many were opened."""

    def __init__(self, units: SqlUnitsOfWork[AsyncSession]) -> None:
        self.units, self.opened = units, 0

    def __call__(self) -> Any:
        self.opened += 1
        return self.units()


def _envelope(message_id: str, correlation_id: str = "c") -> Envelope:
    return Envelope(
        message_id=message_id,
        type="grading.started",
        version=1,
        occurred_at=datetime.now(UTC),
        correlation_id=correlation_id,
        trace={},
    )


async def _stage(uow: UnitOfWork[AsyncSession], event: GradingStarted, envelope: Envelope) -> None:
    uow.add_event(event, envelope.correlation_id)
    if envelope.correlation_id == "culprit":
        raise ValueError("this one breaks a rule")


async def test_messages_in_hand_share_one_unit_of_work_and_a_redelivery_is_a_no_op(kit: Kit) -> None:
    units = Counted(kit.units)
    handle = claimed_together(units, GATEWAY_GRADING_STARTED, _stage)
    messages = [(_event(), _envelope(f"m-{i}")) for i in range(20)]
    await asyncio.gather(*(handle(event, envelope) for event, envelope in messages))
    assert (await kit.count(kit.outbox), await kit.count(kit.inbox)) == (20, 20)
    assert units.opened < 20, f"{units.opened} units of work for 20 messages in hand"
    await asyncio.gather(*(handle(event, envelope) for event, envelope in messages[:5]))
    assert (await kit.count(kit.outbox), await kit.count(kit.inbox)) == (20, 20), "redeliveries: no-ops"


async def test_a_message_that_fails_its_batch_fails_alone_and_the_others_commit(kit: Kit) -> None:
    handle = claimed_together(kit.units, GATEWAY_GRADING_STARTED, _stage)
    envelopes = [_envelope(f"n-{i}") for i in range(6)]
    envelopes[3] = _envelope("n-3", "culprit")
    results = await asyncio.gather(*(handle(_event(), e) for e in envelopes), return_exceptions=True)
    assert [type(r).__name__ for r in results] == ["NoneType"] * 3 + ["ValueError"] + ["NoneType"] * 2
    async with kit.units.sessions() as session:
        claimed = set(await session.scalars(select(kit.inbox.c.message_id)))
    assert claimed == {f"n-{i}" for i in (0, 1, 2, 4, 5)}, "the culprit's claim rolled back, no other"
    assert await kit.count(kit.outbox) == 5


async def test_an_idempotent_use_case_shares_units_of_work_without_claims(kit: Kit) -> None:
    """Rows keyed by the message: handled again, a message writes nothing; the inbox stays empty."""

    async def keyed_row(uow: UnitOfWork[AsyncSession], event: GradingStarted, envelope: Envelope) -> None:
        row = {"id": uuid.uuid5(uuid.NAMESPACE_URL, envelope.message_id), "routing_key": "k",
               "message_type": "t", "correlation_id": "c", "body": "{}", "headers": {}}  # fmt: skip
        await uow.repos.execute(pg_insert(kit.outbox).values(row).on_conflict_do_nothing())

    units = Counted(kit.units)
    handle = idempotent_together(units, keyed_row)
    messages = [(_event(), _envelope(f"i-{i}")) for i in range(20)]
    await asyncio.gather(*(handle(event, envelope) for event, envelope in messages))
    assert (await kit.count(kit.outbox), await kit.count(kit.inbox)) == (20, 0)
    assert units.opened < 20, f"{units.opened} units of work for 20 messages in hand"
    await asyncio.gather(*(handle(event, envelope) for event, envelope in messages[:5]))
    assert await kit.count(kit.outbox) == 20, "handled again: nothing more written"


async def test_a_use_case_handled_without_claims_may_not_stage_events(kit: Kit) -> None:
    handle = idempotent_together(kit.units, _stage)
    with pytest.raises(RuntimeError, match="publish them again"):
        await handle(_event(), _envelope("s-1"))
    assert await kit.count(kit.outbox) == 0, "nothing committed"
