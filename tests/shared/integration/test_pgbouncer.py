"""A service's pool through a real PgBouncer in transaction mode (as deploy/postgresql/pgbouncer.ini
runs it), where consecutive transactions land on whatever server connection is free: with
DATABASE_POOLED the same statements run concurrently from many client connections over two server
connections, and nothing breaks; without it PgBouncer refuses the connection's startup parameters."""

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from gradeflow_shared.db import make_engine
from tests.support.infra import Infra

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("pgbouncer") is None and not Path("/usr/sbin/pgbouncer").exists(),
                       reason="PgBouncer is installed by scripts/install-services.sh"),
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def bouncer(infra: Infra) -> Iterator[str]:
    """PgBouncer on a free port in front of the gateway's role: the URL to give the service."""
    url = make_url(infra.database_url("gateway"))
    folder = Path(tempfile.mkdtemp(prefix="gradeflow-pgbouncer-"))
    port = _free_port()
    (folder / "userlist.txt").write_text(f'"{url.username}" "{url.password}"\n')
    (folder / "pgbouncer.ini").write_text(
        f"[databases]\n{url.database} = host=127.0.0.1 port=5432 dbname={url.database}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nauth_type = plain\n"
        f"auth_file = {folder}/userlist.txt\npool_mode = transaction\ndefault_pool_size = 2\n"
        f"max_client_conn = 100\nserver_reset_query =\nunix_socket_dir =\nlogfile = {folder}/log\n"
    )
    shutil.chown(folder, "postgres")
    for file in folder.iterdir():
        shutil.chown(file, "postgres")
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    run_as = ["su", "postgres", "-s", "/bin/sh", "-c"] if os.geteuid() == 0 else ["/bin/sh", "-c"]
    proc = subprocess.Popen([*run_as, f"exec {binary} {folder}/pgbouncer.ini"])
    deadline = time.monotonic() + 10
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        assert time.monotonic() < deadline and proc.poll() is None, "PgBouncer did not start"
        time.sleep(0.1)
    yield url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(folder, ignore_errors=True)


async def _transactions(url: str, pooled: bool, count: int) -> list[int]:
    engine = make_engine(url, "gateway", pool_size=10, pooled=pooled)
    query = text("SELECT count(*) FROM submissions WHERE student_id = :student")

    async def one() -> int:
        async with engine.begin() as conn:
            first = (
                await conn.execute(query, {"student": "00000000-0000-0000-0000-000000000000"})
            ).scalar_one()
            await conn.execute(text("SELECT pg_sleep(0.001)"))
            second = (
                await conn.execute(query, {"student": "00000000-0000-0000-0000-000000000000"})
            ).scalar_one()
            return int(first) + int(second)

    try:
        return await asyncio.gather(*(one() for _ in range(count)))
    finally:
        await engine.dispose()


async def test_a_pooled_engine_works_through_pgbouncer_in_transaction_mode(bouncer: str) -> None:
    results = await _transactions(bouncer, pooled=True, count=300)
    assert len(results) == 300 and set(results) == {0}


async def test_an_unpooled_engine_is_refused_by_pgbouncer(bouncer: str) -> None:
    with pytest.raises(Exception, match="search_path"):
        await _transactions(bouncer, pooled=False, count=1)
