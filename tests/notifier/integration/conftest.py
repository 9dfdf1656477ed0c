from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.support.infra import Infra
from tests.support.smtp import smtp

__all__ = ["smtp"]


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(infra.admin_url)
    yield conn
    await conn.close()
