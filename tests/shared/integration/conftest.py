from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Table

from gradeflow_shared.db import SessionFactory, make_sessions
from gradeflow_shared.kit_tables import outbox_table
from tests.support.infra import Infra
from tests.support.schemas import private_schema


@pytest.fixture
async def private_outbox(infra: Infra) -> AsyncIterator[tuple[SessionFactory, Table]]:
    """An outbox in a schema of its own: no relay of a running service shares its rows."""
    async with private_schema(infra, outbox_table) as (engine, metadata):
        yield make_sessions(engine), metadata.tables[f"{metadata.schema}.outbox"]
