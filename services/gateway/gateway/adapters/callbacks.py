"""Judge0 callbacks out: a PUT of the run's result to the URL its request named, with httpx —
redirects never followed, the target checked again before each call and the call connected to the
address that check approved (gradeflow_shared.targets: no SSRF into the cluster, DNS rebinding
included), a timeout per call."""

from typing import Any

import httpx

from gradeflow_shared.targets import TargetGuard, pinned, pinned_client

RETRIED_STATUSES = frozenset({408, 425, 429})


class HttpCallbacks:
    def __init__(self, guard: TargetGuard, timeout_seconds: float) -> None:
        self._guard = guard
        self._client = pinned_client(timeout_seconds)

    async def put(self, url: str, body: dict[str, Any]) -> tuple[bool, bool, str | None]:
        checked = await self._guard.check(url)
        if isinstance(checked, str):
            return False, False, checked
        try:
            with pinned(checked):
                response = await self._client.put(url, json=body)
        except httpx.TimeoutException:
            return False, True, "timed out"
        except httpx.TransportError as exc:
            return False, True, f"{type(exc).__name__}: {exc}"
        if response.is_success:
            return True, False, None
        retry = response.status_code >= 500 or response.status_code in RETRIED_STATUSES
        return False, retry, f"answered {response.status_code}"

    async def close(self) -> None:
        await self._client.aclose()
