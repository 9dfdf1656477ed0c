"""Each service's role owns its schema and is refused on every other service's tables."""

import itertools

import asyncpg
import pytest

from gradeflow_tools.stack import SERVICES
from tests.support.infra import Infra

pytestmark = pytest.mark.integration

# One table each service surely has (the kit's outbox), plus a domain table of its own.
TABLES = {
    "gateway": ("outbox", "submissions"),
    "grader": ("outbox", "runs"),
    "notifier": ("outbox", "notifications"),
    "metrics": ("outbox", "job_timings"),
}


def _dsn(infra: Infra, service: str) -> str:
    return infra.database_url(service).replace("+asyncpg", "")


@pytest.mark.parametrize("service", SERVICES)
async def test_service_role_reads_and_writes_its_own_schema(infra: Infra, service: str) -> None:
    conn = await asyncpg.connect(_dsn(infra, service))
    try:
        for table in TABLES[service]:
            for right in ("SELECT", "INSERT", "UPDATE", "DELETE"):
                assert await conn.fetchval("SELECT has_table_privilege($1, $2)", f"{service}.{table}", right)
        await conn.execute(f"CREATE TABLE {service}.scratch_probe (id int)")
        await conn.execute(f"INSERT INTO {service}.scratch_probe VALUES (7)")
        assert await conn.fetchval(f"SELECT id FROM {service}.scratch_probe") == 7
        await conn.execute(f"DROP TABLE {service}.scratch_probe")
    finally:
        await conn.close()


@pytest.mark.parametrize(("service", "other"), [p for p in itertools.permutations(SERVICES, 2)])
async def test_service_role_is_refused_on_another_services_tables(
    infra: Infra, service: str, other: str
) -> None:
    conn = await asyncpg.connect(_dsn(infra, service))
    try:
        for table in TABLES[other]:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetchval(f"SELECT count(*) FROM {other}.{table}")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(f"CREATE TABLE {other}.intruder (id int)")
    finally:
        await conn.close()


async def test_service_roles_cannot_create_in_public_schema(infra: Infra) -> None:
    conn = await asyncpg.connect(_dsn(infra, "gateway"))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE public.intruder (id int)")
    finally:
        await conn.close()
