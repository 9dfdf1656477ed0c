"""Outbound calls connect only to the address that was checked: a name that resolves to a public
(here: allow-listed) address when checked and to the internal one a moment later — DNS rebinding,
done by rewriting /etc/hosts between the check and the call — is called at the checked address,
while a plain client would follow the name into the internal service. Addresses that embed a
private IPv4 one are refused, whatever their IPv6 form."""

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from gradeflow_shared.targets import TargetGuard, pinned, pinned_client

pytestmark = pytest.mark.integration
HOSTS = Path("/etc/hosts")
NAME = "rebind.gradeflow.test"


@contextlib.contextmanager
def _server(address: str, port: int = 0) -> Iterator[tuple[int, list[str]]]:
    """An HTTP server on `address` that records the paths it is asked for."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server calls it so
            seen.append(self.path)
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer((address, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def _hosts_entry(address: str) -> Iterator[None]:
    original = HOSTS.read_text()
    try:
        HOSTS.write_text(original + f"\n{address} {NAME}\n")
        yield
    finally:
        HOSTS.write_text(original)


async def test_a_name_rebound_after_its_check_is_called_at_the_checked_address() -> None:
    guard = TargetGuard(allow=["127.0.0.2/32"])  # stands for a public address
    with _server("127.0.0.2") as (port, public), _server("127.0.0.1", port) as (_, internal):
        url = f"http://{NAME}:{port}/hook"
        with _hosts_entry("127.0.0.2"):
            checked = await guard.check(url)
        assert not isinstance(checked, str) and checked.address == "127.0.0.2", checked
        with _hosts_entry("127.0.0.1"):  # rebound: the name now names the internal service
            async with pinned_client(5) as client:
                with pinned(checked):
                    assert (await client.post(url)).status_code == 200
                with pytest.raises(httpx.ConnectError):
                    await client.post(url)  # outside a check: not connected at all
            async with httpx.AsyncClient() as plain:
                assert (await plain.post(url.replace("/hook", "/plain"))).status_code == 200
            assert await guard.refusal(url) is not None, "checked again now, it is refused"
    assert public == ["/hook"], "the call went to the checked address"
    assert internal == ["/plain"], "a client that resolves again reaches the internal service"


@pytest.mark.parametrize(
    "address",
    ["[::7f00:1]", "[::a00:1]", "[64:ff9b::a00:1]", "[64:ff9b::7f00:1]", "[::ffff:10.0.0.1]",
     "[2002:a00:1::1]", "[fe80::1]", "[::1]", "127.0.0.1", "169.254.169.254", "100.64.0.1"],
)  # fmt: skip
async def test_an_address_that_is_or_embeds_a_private_one_is_refused(address: str) -> None:
    refused = await TargetGuard().refusal(f"http://{address}:8080/hook")
    assert refused is not None and "not allowed" in refused
