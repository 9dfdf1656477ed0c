"""Which outbound HTTP targets a service may call on a user's behalf (the notifier's webhooks, the
gateway's Judge0 callbacks), and the client that calls only the address that was checked.

A target is http(s); its host must resolve to global addresses only — not private, loopback,
link-local, reserved, nor an IPv6 address that embeds such an IPv4 one (IPv4-mapped, the deprecated
IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4, Teredo) — unless allow-listed. It is
checked when it is given and again before each call, and the call then connects to the address
that check approved (`pinned_client`): a name that resolves elsewhere a moment later (DNS
rebinding) is never looked up again for the connection. TLS still verifies the name.
"""

import asyncio
import contextlib
import ipaddress
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


@dataclass(frozen=True)
class Checked:
    """A target that may be called: the address (of those its host resolved to) to connect to."""

    host: str
    port: int
    address: str


class TargetGuard:
    """Which targets may be called: http(s) only; hosts and networks in `allow` always;
    any other that is or resolves to a non-public address never."""

    def __init__(self, allow: Sequence[str] = ()) -> None:
        self._hosts = {a.lower() for a in allow if not _is_network(a)}
        self._networks = [ipaddress.ip_network(a, strict=False) for a in allow if _is_network(a)]

    async def refusal(self, url: str) -> str | None:
        """Why `url` may not be called (None: it may)."""
        checked = await self.check(url)
        return checked if isinstance(checked, str) else None

    async def check(self, url: str) -> Checked | str:
        """The address to call `url` at, or why it may not be called."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:  # a bracket not closed, a port not a number
            return f"not a URL: {exc}"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "a webhook URL is http:// or https:// with a host"
        host = parts.hostname.lower()
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, port)
        except (OSError, ValueError) as exc:
            return f"{host} does not resolve: {exc}"
        addresses = sorted({ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found}, key=str)
        if not addresses:
            return f"{host} does not resolve"
        if host not in self._hosts:
            for address in addresses:
                if not self._allowed(address):
                    return f"{host} is a private, loopback or link-local address ({address}): not allowed"
        return Checked(host, port, str(addresses[0]))

    def _allowed(self, address: Address) -> bool:
        if any(address in n for n in self._networks):
            return True
        return all(a.is_global for a in (address, *_embedded(address)))


def _embedded(address: Address) -> list[Address]:
    """The IPv4 addresses an IPv6 address carries, which routers may deliver to."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    carried: list[Address] = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address.teredo is not None:
        carried += list(address.teredo)
    if address in IPV4_COMPATIBLE or any(address in n for n in NAT64):
        carried.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address in IPV4_COMPATIBLE:
            carried.append(ipaddress.IPv4Address(0))  # deprecated: never global, whatever it carries
    return carried


def _is_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


# The addresses this task's calls may connect to: (host, port) → the checked address.
_PINNED: ContextVar[tuple[tuple[tuple[str, int], str], ...]] = ContextVar("gradeflow_pinned", default=())


@contextlib.contextmanager
def pinned(checked: Checked) -> Iterator[None]:
    """Within the block, a `pinned_client` call to the checked host connects to its address."""
    token = _PINNED.set((*_PINNED.get(), ((checked.host, checked.port), checked.address)))
    try:
        yield
    finally:
        _PINNED.reset(token)


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to the address a check approved for the host, never to what the name resolves to
    now; a host no check approved in this task is not connected to at all."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:  # fmt: skip
        address = dict(_PINNED.get()).get((host.lower(), port))
        if address is None:
            raise httpcore.ConnectError(f"{host}:{port} was not checked before this call")
        return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> Any:
        raise httpcore.ConnectError("no Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _PinnedTransport(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_PinnedBackend()
        )


def pinned_client(timeout: float) -> httpx.AsyncClient:
    """An HTTP client for checked targets only (`pinned`): no redirects, no proxy from the
    environment, each connection to the address its check approved."""
    return httpx.AsyncClient(
        transport=_PinnedTransport(), timeout=timeout, follow_redirects=False, trust_env=False
    )
