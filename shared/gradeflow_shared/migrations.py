"""Alembic per service: the version table lives in the service's own schema, and every service's
env.py is the same few lines calling `run_env`."""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(script_location: Path, database_url: str, schema: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.attributes["schema"] = schema
    return cfg


def upgrade(script_location: Path, database_url: str, schema: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, database_url, schema), revision)


def downgrade(script_location: Path, database_url: str, schema: str, revision: str) -> None:
    command.downgrade(alembic_config(script_location, database_url, schema), revision)


def run_env(metadata: MetaData) -> None:
    """Body of every service's migrations/env.py (online mode only: migrations need a database)."""
    cfg = context.config
    schema = cfg.attributes["schema"]
    url = cfg.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is required"

    def _run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=False,
            # Alembic's own table is not in the metadata: never autogenerate a drop for it.
            include_name=lambda name, type_, _: not (type_ == "table" and name == "alembic_version"),
        )
        with context.begin_transaction():
            context.run_migrations()

    async def _main() -> None:
        engine = create_async_engine(
            url, poolclass=pool.NullPool, echo=bool(__import__("os").environ.get("MIGRATIONS_ECHO"))
        )
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
        await engine.dispose()

    asyncio.run(_main())
