"""Database provisioning: the service's role and schema, created idempotently by an admin connection.

Each service connects as its own role, which owns its schema and has no right on any other; the
public schema is closed to it. Run by the migrate command, never at service start-up.
"""

import asyncpg
from sqlalchemy.engine import make_url


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe SQL identifier: {name!r}")
    return f'"{name}"'


def _admin_dsn(admin_url: str, database: str | None = None) -> str:
    url = make_url(admin_url).set(drivername="postgresql")
    if database:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


async def provision(admin_url: str, service_url: str, schema: str) -> None:
    """Create the database (if missing), the service's login role, and its schema owned by it."""
    target = make_url(service_url)
    role, password, database = target.username, target.password or "", target.database
    if not role or not database:
        raise ValueError("DATABASE_URL must name a role and a database")
    conn = await asyncpg.connect(_admin_dsn(admin_url, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f"CREATE DATABASE {_ident(database)}")
        found = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
        verb = "ALTER" if found else "CREATE"
        # Passwords cannot be bound parameters in DDL; quote_literal does the escaping.
        literal = await conn.fetchval("SELECT quote_literal($1)", password)
        await conn.execute(f"{verb} ROLE {_ident(role)} LOGIN PASSWORD {literal}")
    finally:
        await conn.close()
    conn = await asyncpg.connect(_admin_dsn(admin_url, database))
    try:
        async with conn.transaction():
            await conn.execute(f"REVOKE ALL ON DATABASE {_ident(database)} FROM PUBLIC")
            await conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
            await conn.execute(f"GRANT CONNECT ON DATABASE {_ident(database)} TO {_ident(role)}")
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)} AUTHORIZATION {_ident(role)}")
            await conn.execute(f"REVOKE ALL ON SCHEMA {_ident(schema)} FROM PUBLIC")
            await conn.execute(f"ALTER ROLE {_ident(role)} SET search_path = {_ident(schema)}")
    finally:
        await conn.close()
