"""Which outbound HTTP targets a service may call on a user's behalf (the notifier's webhooks, the
gateway's Judge0 callbacks): http(s) only; a target that is, or resolves to, a private, loopback
or link-local address is refused unless allow-listed — checked when it is given and again before
each call (no SSRF into the cluster)."""

import asyncio
import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit


class TargetGuard:
    """Which targets may be called: http(s) only; hosts and networks in `allow` always;
    any other that is or resolves to a non-public address never."""

    def __init__(self, allow: Sequence[str] = ()) -> None:
        self._hosts = {a.lower() for a in allow if not _is_network(a)}
        self._networks = [ipaddress.ip_network(a, strict=False) for a in allow if _is_network(a)]

    async def refusal(self, url: str) -> str | None:
        """Why `url` may not be called (None: it may)."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:  # a bracket not closed, a port not a number
            return f"not a URL: {exc}"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "a webhook URL is http:// or https:// with a host"
        host = parts.hostname.lower()
        if host in self._hosts:
            return None
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, port)
        except (OSError, ValueError) as exc:
            return f"{host} does not resolve: {exc}"
        for address in {ipaddress.ip_address(info[4][0]) for info in found}:
            if not address.is_global and not any(address in n for n in self._networks):
                return f"{host} is a private, loopback or link-local address ({address}): not allowed"
        return None


def _is_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True
