"""Dead-letter operations by queue name: list with the errors, replay one or all, purge."""

from typing import Any

from gradeflow_shared.topology import ROUTES, Route, route_for
from metrics.domain.errors import NotFound
from metrics.usecases.ports import DeadLetterOps


def route_named(queue: str) -> Route:
    try:
        return route_for(queue)
    except KeyError:
        known = ", ".join(r.queue for r in ROUTES)
        raise NotFound(f"unknown queue {queue!r}; known: {known}", field="queue") from None


async def list_letters(ops: DeadLetterOps, queue: str, limit: int) -> tuple[int, list[Any]]:
    return await ops.list(route_named(queue), limit)


async def replay(ops: DeadLetterOps, queue: str, message_id: str | None) -> int:
    count = await ops.replay(route_named(queue), message_id)
    if message_id is not None and count == 0:
        raise NotFound(f"no dead letter {message_id} in {queue}.dlq", field="message_id")
    return count


async def purge(ops: DeadLetterOps, queue: str) -> int:
    return await ops.purge(route_named(queue))
