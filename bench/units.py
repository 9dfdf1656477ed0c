"""The two units of work on the same work, in one process on the real PostgreSQL: the SQL unit
(gradeflow_shared/unit_of_work.py: SQLAlchemy's session) and the driver unit (driver_unit.py:
asyncpg on a connection of the same pool). Each unit claims a batch of message ids, stages an event
for each and commits — the shape of a group commit — and the process's CPU time per unit is taken
over many units, for batches of 1, 8 and 32. Writes bench/results/units.json.

    uv run python -m bench.units [--units 300]
"""

import resource
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import typer
import uvloop
from sqlalchemy import MetaData, text

from bench import results
from gradeflow_shared.db import make_engine, make_sessions
from gradeflow_shared.driver_unit import DriverUnitsOfWork
from gradeflow_shared.events import GradingStarted
from gradeflow_shared.kit_tables import inbox_table, outbox_table
from gradeflow_shared.unit_of_work import SqlUnitsOfWork, UnitsOfWork
from gradeflow_tools.scratch import provisioned_infra

BATCHES = (1, 8, 32)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _per_unit(units: UnitsOfWork[Any], batch: int, count: int) -> dict[str, float]:
    async def one() -> None:
        async with units() as uow:
            claimed = await uow.claim_all([str(uuid.uuid4()) for _ in range(batch)], "bench")
            for message_id in claimed:
                uow.add_event(
                    GradingStarted(submission_id=uuid.uuid4(), started_at=datetime.now(UTC)), message_id
                )
            await uow.commit()

    for _ in range(20):  # statements prepared, pool filled
        await one()
    cpu, wall = _cpu(), time.perf_counter()
    for _ in range(count):
        await one()
    cpu, wall = _cpu() - cpu, time.perf_counter() - wall
    return {
        "cpu_us_per_unit": round(cpu / count * 1e6),
        "cpu_us_per_item": round(cpu / count / batch * 1e6, 1),
        "wall_us_per_unit": round(wall / count * 1e6),
    }


async def _run(url: str, count: int) -> dict[str, Any]:
    schema = "bench_units"
    engine = make_engine(url, schema, pool_size=4)
    metadata = MetaData(schema=schema)
    outbox, inbox = outbox_table(metadata), inbox_table(metadata)
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
        await conn.run_sync(metadata.create_all)
    kinds: dict[str, Callable[[], UnitsOfWork[Any]]] = {
        "sql": lambda: SqlUnitsOfWork(make_sessions(engine), lambda s: s, outbox, inbox),
        "driver": lambda: DriverUnitsOfWork(engine, lambda c: c, outbox, inbox),
    }
    report: dict[str, Any] = {}
    try:
        for batch in BATCHES:
            for name, units in kinds.items():
                report.setdefault(name, {})[str(batch)] = figures = await _per_unit(units(), batch, count)
                print(name, batch, figures, flush=True)
    finally:
        await engine.dispose()
    return report


def main(units: int = typer.Option(300, help="units of work timed per kind and batch size")) -> None:
    with provisioned_infra("gradeflow_bench_units") as infra:
        url = infra.admin_url.replace("postgresql://", "postgresql+asyncpg://")
        report = uvloop.run(_run(url, units))
    report["plan"] = {
        "units": units,
        "batches": list(BATCHES),
        "work": "claim_all of a batch, an event each, commit",
    }
    results.write("units", report)


if __name__ == "__main__":
    typer.run(main)
