"""Broker kit: a RabbitBroker whose publishes are confirmed and whose unroutable messages raise,
topology declaration, and publishing an event with its envelope."""

import logging
from datetime import UTC, datetime
from typing import Any

import aio_pika
from faststream.rabbit import Channel, RabbitBroker

from gradeflow_shared.envelope import H_PUBLISHED_AT, Envelope
from gradeflow_shared.events import Event
from gradeflow_shared.topology import EXCHANGE, ROUTES


def make_broker(amqp_url: str, graceful_timeout: float = 20.0) -> RabbitBroker:
    # on_return_raises: a mandatory message no queue takes is an error, never silence.
    channel = Channel(publisher_confirms=True, on_return_raises=True)
    return RabbitBroker(
        amqp_url,
        default_channel=channel,
        graceful_timeout=graceful_timeout,
        fail_fast=True,
        reconnect_interval=1.0,
        # Per-message "received/processed" lines are debug detail; errors still log at ERROR.
        logger=logging.getLogger("faststream"),
        log_level=logging.DEBUG,
    )


async def declare_topology(amqp_url: str, retry_delays_ms: tuple[int, ...]) -> None:
    """Declare the exchange, every work queue with its binding, its delay tiers and its DLQ.

    On a connection of its own: FastStream caches declared queues, and a subscriber that found its
    queue in that cache would consume on the default channel, without its own prefetch.
    """
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            EXCHANGE.name, type=EXCHANGE.type.value, durable=EXCHANGE.durable
        )
        for route in ROUTES:
            for spec in (route.work_queue(), *route.side_queues(retry_delays_ms)):
                await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
            work = await channel.get_queue(route.queue, ensure=False)
            await work.bind(exchange, routing_key=route.routing_key)


async def publish_raw(
    broker: RabbitBroker,
    body: bytes,
    envelope: Envelope,
    routing_key: str,
    headers: dict[str, Any] | None = None,
    to_queue: str | None = None,
) -> None:
    """Publish persistent, confirmed and mandatory; to the events exchange, or straight to a queue."""
    all_headers = {**envelope.headers(), **(headers or {})}
    all_headers[H_PUBLISHED_AT] = datetime.now(UTC).isoformat()
    await broker.publish(
        body,
        queue=to_queue or "",
        exchange=None if to_queue else EXCHANGE,
        routing_key="" if to_queue else routing_key,
        persist=True,
        mandatory=True,
        message_id=envelope.message_id,
        correlation_id=envelope.correlation_id,
        message_type=envelope.type,
        content_type="application/json",
        headers=all_headers,
        timeout=10,
    )


async def publish_event(broker: RabbitBroker, event: Event, envelope: Envelope) -> None:
    await publish_raw(broker, event.model_dump_json().encode(), envelope, event.type)
