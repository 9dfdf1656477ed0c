"""Alembic per service: the version table lives in the service's own schema, and every service's
env.py is the same few lines calling `run_env`; and the DDL the services' revisions share."""

import asyncio
import os
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.dialects.postgresql import JSONB
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
            # One migrator at a time: every pod's init step runs `migrate` (deploy/k8s); the first
            # takes the lock and upgrades, the others wait, then find the schema at head. Taken
            # before Alembic reads the version, released at commit.
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"gradeflow-migrate:{schema}"},
            )
            context.run_migrations()

    async def _main() -> None:
        engine = create_async_engine(
            url, poolclass=pool.NullPool, echo=bool(os.environ.get("MIGRATIONS_ECHO"))
        )
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
        await engine.dispose()

    asyncio.run(_main())


# The migration kit: DDL that several services' revisions share, frozen as written. A revision
# that ran must keep doing exactly what it did, so these never change; a new shape is a new helper
# (and a new revision in each service that wants it).


def now_column(name: str) -> sa.Column:  # type: ignore[type-arg]
    """A timestamp column set by the database when the row is written."""
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def create_kit_tables(schema: str) -> None:
    """The inbox (message ids handled) and the outbox (events to publish) of kit_tables.py."""
    op.create_table(
        "inbox",
        sa.Column("message_id", sa.String(length=100), primary_key=True),
        sa.Column("queue", sa.String(length=200), nullable=False),
        now_column("processed_at"),
        schema=schema,
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("routing_key", sa.String(length=200), nullable=False),
        sa.Column("message_type", sa.String(length=200), nullable=False),
        sa.Column("correlation_id", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", JSONB(astext_type=sa.Text()), nullable=False),
        now_column("created_at"),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        schema=schema,
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        schema=schema,
        postgresql_where=sa.text("published_at IS NULL"),
    )


def add_outbox_parking(schema: str) -> None:
    """A row the broker refuses on its own is parked with the reason (outbox.py)."""
    op.add_column("outbox", sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True), schema=schema)
    op.add_column("outbox", sa.Column("park_reason", sa.Text(), nullable=True), schema=schema)


def drop_kit_tables(schema: str) -> None:
    op.drop_table("outbox", schema=schema)
    op.drop_table("inbox", schema=schema)


def index_columns(schema: str, table: str, *columns: str) -> None:
    """One index per column, named as SQLAlchemy's `index=True` names it."""
    for column in columns:
        op.create_index(f"ix_{schema}_{table}_{column}", table, [column], schema=schema)


def test_case_table_v1(schema: str) -> None:
    """A test case of an assignment's suite (events.TestCaseSpec), in `schema`.assignments."""
    op.create_table(
        "test_cases",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("assignment_id", sa.Uuid(), sa.ForeignKey(f"{schema}.assignments.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stdin", sa.Text(), nullable=False),
        sa.Column("expected_stdout", sa.Text(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("comparison", sa.String(length=24), server_default="trailing_whitespace", nullable=False),
        sa.Column("tolerance", sa.Float(), server_default="1e-06", nullable=False),
        schema=schema,
    )
    index_columns(schema, "test_cases", "assignment_id")
