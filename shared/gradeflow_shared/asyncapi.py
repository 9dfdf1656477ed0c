"""AsyncAPI 3.0 documents of a service's channels and messages, generated from the code that
defines them: the routes it consumes (registered with the consumer kit), the events it publishes
(declared beside its subscribers), each message's payload the event model's JSON schema and its
headers the envelope's. Served by every service at `/asyncapi.json` and rendered into
docs/asyncapi/ (`gradeflow-asyncapi`), so a team changing a consumer sees who publishes what."""

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import APIRouter

from gradeflow_shared.envelope import H_OCCURRED_AT, H_PUBLISHED_AT, H_RETRIES, H_VERSION
from gradeflow_shared.events import Event
from gradeflow_shared.topology import EXCHANGE, Route

HEADERS = {
    "type": "object",
    "properties": {
        H_VERSION: {"type": "integer", "description": "The event's schema version."},
        H_OCCURRED_AT: {"type": "string", "format": "date-time", "description": "When the event happened."},
        H_PUBLISHED_AT: {"type": "string", "format": "date-time", "description": "When it was published."},
        H_RETRIES: {"type": "integer", "description": "Retries so far (set by the retry tiers)."},
        "traceparent": {"type": "string", "description": "W3C trace context."},
        "tracestate": {"type": "string"},
    },
}
AMQP_MESSAGE = {"amqp": {"deliveryMode": 2, "bindingVersion": "0.3.0"}}  # persistent


def _id(text: str) -> str:
    return text.replace(".", "_").replace("*", "any").replace("-", "_")


def _schema(model: type[Event], schemas: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON schema, its nested models moved to the components (refs pointing there)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    return schema


def document(
    service: str,
    consumes: Iterable[tuple[Route, type[Event]]],
    publishes: Sequence[type[Event]],
    amqp_host: str = "localhost:5672",
) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}

    def message(model: type[Event], name: str | None = None) -> dict[str, str]:
        key = name or model.__name__
        if key not in messages:
            schemas[model.__name__] = _schema(model, schemas)
            messages[key] = {
                "name": model.type if name is None else name,
                "title": model.__name__,
                "summary": " ".join((model.__doc__ or "").strip().split("\n\n")[0].split()),
                "contentType": "application/json",
                "headers": HEADERS,
                "payload": {"$ref": f"#/components/schemas/{model.__name__}"},
                "bindings": AMQP_MESSAGE,
            }
        return {"$ref": f"#/components/messages/{key}"}

    def channel(key: str) -> dict[str, str]:
        cid = _id(key)
        channels.setdefault(
            cid,
            {
                "address": key,
                "description": f"Messages with routing key `{key}` on the `{EXCHANGE.name}` exchange.",
                "messages": {},
                "bindings": {
                    "amqp": {
                        "is": "routingKey",
                        "exchange": {
                            "name": EXCHANGE.name,
                            "type": EXCHANGE.type,
                            "durable": True,
                            "autoDelete": False,
                        },
                        "bindingVersion": "0.3.0",
                    }
                },
            },
        )
        return {"$ref": f"#/channels/{cid}"}

    def operation(action: str, name: str, key: str, model: type[Event], summary: str) -> dict[str, Any]:
        ref = channel(key)
        channels[_id(key)]["messages"][model.__name__] = message(model)
        made: dict[str, Any] = {
            "action": action,
            "channel": ref,
            "summary": summary,
            "messages": [{"$ref": f"{ref['$ref']}/messages/{model.__name__}"}],
        }
        operations[f"{action}_{_id(name)}"] = made
        return made

    for event in publishes:
        operation(
            "send", event.type, event.type, event, f"{service} publishes {event.type} (outbox, confirmed)."
        )
    for route, model in consumes:
        summary = f"{service} consumes queue `{route.queue}` (dead letters: `{route.dlq}`)."
        received = operation("receive", route.queue, route.routing_key, model, summary)
        received["bindings"] = {"amqp": {"ack": True, "bindingVersion": "0.3.0"}}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"Gradeflow {service}",
            "version": "0.1.0",
            "description": f"What the {service} publishes and consumes on RabbitMQ.",
        },
        "defaultContentType": "application/json",
        "servers": {"rabbitmq": {"host": amqp_host, "protocol": "amqp", "protocolVersion": "0-9-1"}},
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"messages": dict(sorted(messages.items())), "schemas": dict(sorted(schemas.items()))},
    }


def asyncapi_router(
    service: str, consumes: Sequence[tuple[Route, type[Event]]], publishes: Sequence[type[Event]]
) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi() -> dict[str, Any]:
        return document(service, consumes, publishes)

    return router
