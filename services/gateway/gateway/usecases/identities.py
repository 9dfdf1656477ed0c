"""Users known to an identity provider, provisioned at their first request (just in time): the
token's (issuer, subject) is bound to the Gradeflow user a roster or an enrollment already made
for the same email, or to a new user made from the token's email and name — either only when the
provider says it verified that email. Bound once; remembered per process after that."""

from dataclasses import dataclass, field
from uuid import UUID

from gateway.domain.errors import Forbidden
from gateway.usecases.ports import Units
from gradeflow_shared.auth import Caller

REMEMBERED = 100_000  # identities a process keeps in memory (then it forgets them all, and reads again)


@dataclass
class Identities:
    units: Units
    _known: dict[tuple[str, str], UUID] = field(default_factory=dict)

    async def user_for(self, caller: Caller) -> UUID:
        """The Gradeflow user an identity provider's caller is."""
        key = (caller.issuer, caller.subject)
        known = self._known.get(key)
        if known is None:
            known = await self._provision(caller)
            if len(self._known) >= REMEMBERED:
                self._known.clear()
            self._known[key] = known
        return known

    async def _provision(self, caller: Caller) -> UUID:
        async with self.units() as uow:
            bound = await uow.repos.users.identity(caller.issuer, caller.subject)
            if bound is not None:
                return bound
            if not caller.email:
                raise Forbidden(
                    "the identity provider's token names no email: a user is provisioned from it",
                    field="Authorization",
                )
            if not caller.email_verified:
                # An email claimed at the provider without proof names nobody here: bound to an
                # existing user it would take their account, made into a new one it would take
                # the email from its owner (a roster finds people by email).
                raise Forbidden(
                    "the identity provider has not verified this email: no user is bound to it",
                    field="Authorization",
                )
            existing = await uow.repos.users.user_by_email(caller.email)
            user_id = (
                UUID(str(existing.id))
                if existing is not None
                else await uow.repos.users.add_user(caller.user_id, caller.email, caller.name or caller.email)
            )
            user_id = await uow.repos.users.bind_identity(caller.issuer, caller.subject, user_id)
            await uow.commit()
        return user_id
