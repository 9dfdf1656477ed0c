"""Stairway: every revision of every service upgrades, downgrades and upgrades again, one step at
a time from the base, each step leaving exactly the tables it found."""

import asyncio
import sys
from asyncio.subprocess import PIPE, STDOUT

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from gradeflow_shared.migrations import alembic_config, downgrade, upgrade
from gradeflow_tools.stack import DEFAULT_PORTS, SERVICES
from tests.support.infra import Infra, migrations_of

pytestmark = pytest.mark.integration


async def _columns(infra: Infra, schema: str) -> set[tuple[str, str]]:
    """(table, column) of every table in the schema but Alembic's own."""
    conn = await asyncpg.connect(infra.admin_url)
    try:
        rows = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = $1 AND table_name <> 'alembic_version'",
            schema,
        )
    finally:
        await conn.close()
    return {(r["table_name"], r["column_name"]) for r in rows}


@pytest.mark.parametrize("service", SERVICES)
async def test_each_revision_upgrades_downgrades_and_upgrades_again(infra: Infra, service: str) -> None:
    url, location = infra.database_url(service), migrations_of(service)
    script = ScriptDirectory.from_config(alembic_config(location, url, service))
    revisions = list(reversed(list(script.walk_revisions())))  # oldest first
    assert revisions, "each service has at least one revision"
    head = await _columns(infra, service)
    assert {"outbox", "inbox"} <= {table for table, _ in head}
    await asyncio.to_thread(downgrade, location, url, service, "base")
    below = await _columns(infra, service)
    assert below == set(), "the base is an empty schema"
    for revision in revisions:
        await asyncio.to_thread(upgrade, location, url, service, revision.revision)
        up = await _columns(infra, service)
        assert up != below, f"{revision.revision} changes the schema"
        await asyncio.to_thread(downgrade, location, url, service, revision.down_revision or "base")
        assert await _columns(infra, service) == below, f"{revision.revision} downgrades to what it found"
        await asyncio.to_thread(upgrade, location, url, service, revision.revision)
        assert await _columns(infra, service) == up, f"{revision.revision} upgrades again the same"
        below = up
    assert below == head, "step by step ends where the migrated database is"


async def test_migrators_started_together_take_turns(infra: Infra) -> None:
    """Every pod's init step runs `migrate` (deploy/k8s): three at once on an empty schema all
    succeed, one upgrading under the lock while the others wait and then find nothing to do (the
    gateway's, the largest schema; the lock is every service's, in gradeflow_shared.migrations)."""
    service = "gateway"
    url, location = infra.database_url(service), migrations_of(service)
    head = await _columns(infra, service)
    await asyncio.to_thread(downgrade, location, url, service, "base")
    assert await _columns(infra, service) == set()
    env = infra.stack_config(ports=dict(DEFAULT_PORTS)).env(service)
    migrators = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", service, "migrate", env=env, stdout=PIPE, stderr=STDOUT
        )
        for _ in range(3)
    ]
    outputs = await asyncio.gather(*(m.communicate() for m in migrators))
    assert [m.returncode for m in migrators] == [0, 0, 0], [out.decode()[-2000:] for out, _ in outputs]
    assert await _columns(infra, service) == head
