"""Webhooks: each notification POSTed to the user's endpoints with httpx, signed per the Standard
Webhooks spec (`standardwebhooks`: webhook-id, webhook-timestamp, webhook-signature); redirects
never followed; a target that is (or resolves to) a private, loopback or link-local address is
refused unless allow-listed, when it is registered and again before each call (no SSRF into the
cluster)."""

import asyncio
import ipaddress
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from gradeflow_shared.targets import TargetGuard, pinned, pinned_client
from notifier.domain.delivery import SendResult, WebhookCall
from notifier.domain.records import DueDelivery

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def render(row: DueDelivery) -> WebhookCall:
    """A claimed webhook delivery as the call to make: its payload, what it is signed with."""
    payload = {
        "type": "notification.created",
        "timestamp": row.created_at.isoformat(),
        "data": {
            "notification_id": str(row.notification_id),
            "user_id": str(row.user_id),
            "kind": row.kind,
            "title": row.title,
            "body": row.body,
            "category": row.category,
            "priority": row.priority,
            "data": row.data,
        },
    }
    # Every webhook delivery taken has its endpoint's secret: deleting an endpoint fails its pending
    # deliveries (SqlWebhooks.delete_webhook); were one left, signed with none, its receiver refuses it.
    return WebhookCall(row.id, row.address, row.secret or "", json.dumps(payload, separators=(",", ":")))


class WebhookSender:
    def __init__(self, guard: TargetGuard, timeout: float = 10.0, concurrency: int = 16) -> None:
        self._guard = guard
        self._client = pinned_client(timeout)
        self._slots = asyncio.Semaphore(concurrency)

    async def send(
        self, calls: Sequence[WebhookCall], on_sent: Callable[[int], None] | None = None
    ) -> list[SendResult]:
        async def post(i: int, call: WebhookCall) -> SendResult:
            result = await self._post(call)
            if on_sent is not None and result.outcome == "sent":
                on_sent(i)
            return result

        return list(await asyncio.gather(*(post(i, call) for i, call in enumerate(calls))))

    async def _post(self, call: WebhookCall) -> SendResult:
        checked = await self._guard.check(call.url)
        if isinstance(checked, str):
            return SendResult("permanent", checked)
        now = datetime.now(UTC)
        msg_id = f"msg_{call.delivery_id}"  # the same for every attempt: the receiver dedupes by it
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(call.secret).sign(msg_id, now, call.body),
        }
        async with self._slots:
            try:
                with pinned(checked):
                    response = await self._client.post(call.url, content=call.body, headers=headers)
            except httpx.TimeoutException:
                return SendResult("temporary", "timed out")
            except httpx.TransportError as exc:
                return SendResult("temporary", f"{type(exc).__name__}: {exc}"[:500])
        code = response.status_code
        if 200 <= code < 300:
            return SendResult("sent")
        if code == 429 or code >= 500:
            return SendResult("temporary", f"HTTP {code}")
        if 300 <= code < 400:
            return SendResult(
                "permanent", f"HTTP {code}: redirect to {response.headers.get('location')} not followed"
            )
        return SendResult("permanent", f"HTTP {code}")

    async def close(self) -> None:
        await self._client.aclose()
