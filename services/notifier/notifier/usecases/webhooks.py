"""A user's webhook endpoints: registered with a secret of their own (shown once), refused when the
target may not be called."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from notifier.domain.delivery import new_webhook_secret
from notifier.domain.errors import Invalid, NotFound
from notifier.usecases.ports import TargetGuard, Units


async def register_webhook(units: Units, guard: TargetGuard, user_id: UUID, url: str) -> Any:
    refused = await guard.refusal(url)
    if refused is not None:
        raise Invalid(refused, field="url")
    async with units() as uow:
        if not await uow.repos.is_recipient(user_id):
            raise NotFound("no notifications reach this user yet: not in any course", field="user_id")
        row = await uow.repos.add_webhook(user_id, url, new_webhook_secret())
        await uow.commit()
    return row


async def list_webhooks(units: Units, user_id: UUID) -> Sequence[Any]:
    async with units() as uow:
        return await uow.repos.list_webhooks(user_id)
