"""A user's webhook endpoints: registered with a secret of their own (shown once), refused when the
target may not be called, at most MAX_PER_USER each; listed and deleted by their owner only."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from notifier.domain.delivery import new_webhook_secret
from notifier.domain.errors import Invalid, NotFound
from notifier.usecases.ports import TargetGuard, Units

MAX_PER_USER = 10


async def register_webhook(units: Units, guard: TargetGuard, user_id: UUID, url: str) -> Any:
    refused = await guard.refusal(url)
    if refused is not None:
        raise Invalid(refused, field="url")
    async with units() as uow:
        # The recipient's row held until commit: two registrations at once count each other.
        if not await uow.repos.people.is_recipient(user_id, lock=True):
            raise NotFound("no notifications reach this user yet: not in any course", field="user_id")
        if len(await uow.repos.webhooks.list_webhooks(user_id)) >= MAX_PER_USER:
            raise Invalid(f"at most {MAX_PER_USER} webhook endpoints a user: delete one first", field="url")
        row = await uow.repos.webhooks.add_webhook(user_id, url, new_webhook_secret())
        await uow.commit()
    return row


async def list_webhooks(units: Units, user_id: UUID) -> Sequence[Any]:
    async with units() as uow:
        return await uow.repos.webhooks.list_webhooks(user_id)


async def delete_webhook(units: Units, user_id: UUID, webhook_id: UUID) -> None:
    """The endpoint is called no more: its pending calls fail ("deleted"), its history stays."""
    async with units() as uow:
        if not await uow.repos.webhooks.delete_webhook(user_id, webhook_id):
            raise NotFound("no such webhook endpoint of yours", field="webhook_id")
        await uow.commit()
