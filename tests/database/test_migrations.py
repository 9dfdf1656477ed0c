"""Stairway: every service's migrations upgrade, downgrade to nothing, and upgrade again."""

import asyncio

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from gradeflow_shared.migrations import alembic_config, downgrade, upgrade
from gradeflow_tools.stack import SERVICES
from tests.support.infra import Infra, migrations_of

pytestmark = pytest.mark.integration


async def _tables(infra: Infra, schema: str) -> set[str]:
    conn = await asyncpg.connect(infra.admin_url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
    finally:
        await conn.close()
    return {r["tablename"] for r in rows}


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_upgrade_downgrade_upgrade(infra: Infra, service: str) -> None:
    url, location = infra.database_url(service), migrations_of(service)
    revisions = list(ScriptDirectory.from_config(alembic_config(location, url, service)).walk_revisions())
    assert revisions, "each service has at least one revision"
    full = await _tables(infra, service)
    assert {"outbox", "inbox", "alembic_version"} <= full
    for revision in revisions:  # newest first: step down one at a time
        await asyncio.to_thread(downgrade, location, url, service, revision.down_revision or "base")
    assert await _tables(infra, service) == {"alembic_version"}
    await asyncio.to_thread(upgrade, location, url, service)
    assert await _tables(infra, service) == full
