"""Each service's migrations build exactly the schema its tables.py describes: Alembic finds no
difference between the migrated database and the metadata (tables, columns, types, indexes)."""

import importlib
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from gradeflow_tools.stack import SERVICES
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("service", SERVICES)
async def test_the_migrated_schema_is_the_tables_metadata(infra: Infra, service: str) -> None:
    metadata: MetaData = importlib.import_module(f"{service}.adapters.db.tables").metadata

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "include_name": lambda name, kind, _: kind != "schema" or name == service,
                "include_object": lambda obj, name, kind, *_: name != "alembic_version",
                "compare_type": True,
            },
        )
        return list(compare_metadata(context, metadata))

    # As the superuser, whose default schema (public) is not the service's: Alembic then compares
    # the service's schema by name, as the metadata names it.
    engine = create_async_engine(infra.admin_url.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(differences)
    finally:
        await engine.dispose()
    assert found == [], "\n".join(map(str, found))
