"""Every foreign key has an index whose leading columns are the key's columns (unindexed, a
delete or a join on the key scans the table): read the catalogue of every schema, fail on any miss."""

import asyncpg
import pytest

from gradeflow_tools.stack import SERVICES
from tests.support.infra import Infra

pytestmark = pytest.mark.integration

UNINDEXED_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text AS table_name, c.conname AS constraint_name
  FROM pg_constraint c
  JOIN pg_namespace n ON n.oid = c.connamespace
 WHERE c.contype = 'f'
   AND n.nspname = ANY($1::text[])
   AND NOT EXISTS (
       SELECT 1 FROM pg_index i
        WHERE i.indrelid = c.conrelid
          AND (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] @> c.conkey
          AND (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] <@ c.conkey
   )
"""

COUNT_FOREIGN_KEYS = """
SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
 WHERE c.contype = 'f' AND n.nspname = ANY($1::text[])
"""


async def test_every_foreign_key_is_indexed(infra: Infra) -> None:
    conn = await asyncpg.connect(infra.admin_url)
    try:
        total = await conn.fetchval(COUNT_FOREIGN_KEYS, list(SERVICES))
        missing = await conn.fetch(UNINDEXED_FOREIGN_KEYS, list(SERVICES))
    finally:
        await conn.close()
    assert total >= 8, "the catalogue should hold the schemas' foreign keys"
    assert [tuple(r) for r in missing] == []


async def test_the_index_check_catches_an_unindexed_foreign_key(infra: Infra) -> None:
    """The check itself can fail: a deliberately unindexed key is reported."""
    conn = await asyncpg.connect(infra.admin_url)
    try:
        async with conn.transaction():
            await conn.execute("CREATE TABLE metrics.parent_probe (id int PRIMARY KEY)")
            await conn.execute(
                "CREATE TABLE metrics.child_probe (id int, parent int REFERENCES metrics.parent_probe)"
            )
            missing = await conn.fetch(UNINDEXED_FOREIGN_KEYS, ["metrics"])
            assert [r["table_name"] for r in missing] == ["metrics.child_probe"]
            raise _Rollback
    except _Rollback:
        pass
    finally:
        await conn.close()


class _Rollback(Exception):
    pass
