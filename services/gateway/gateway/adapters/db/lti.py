"""LTI 1.3 platforms, the nonces their launches used, and the course each context is. Implements
usecases.ports.LtiPlatforms."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gateway.adapters.db.repositories import _Repository
from gateway.adapters.db.tables import (
    identities,
    lti_contexts,
    lti_lineitems,
    lti_nonces,
    lti_platforms,
    lti_tool_keys,
)
from gradeflow_shared.ids import new_id


class SqlLtiPlatforms(_Repository):
    async def add_platform(self, fields: dict[str, Any]) -> Row[Any] | None:
        stmt = pg_insert(lti_platforms).values(id=new_id(), **fields).on_conflict_do_nothing()
        row: Row[Any] | None = (await self._session.execute(stmt.returning(lti_platforms))).first()
        return row

    async def platforms(self) -> Sequence[Row[Any]]:
        return await self._all(select(lti_platforms).order_by(lti_platforms.c.created_at))

    async def platform_by_id(self, platform_id: UUID) -> Row[Any] | None:
        row: Row[Any] | None = (
            await self._session.execute(select(lti_platforms).where(lti_platforms.c.id == platform_id))
        ).first()
        return row

    async def platform(self, issuer: str, client_id: str | None) -> Row[Any] | None:
        stmt = select(lti_platforms).where(lti_platforms.c.issuer == issuer)
        if client_id is not None:
            stmt = stmt.where(lti_platforms.c.client_id == client_id)
        rows = await self._all(stmt.limit(2))
        return rows[0] if len(rows) == 1 else None

    async def take_nonce(self, nonce: str, expires_at: datetime) -> bool:
        await self._session.execute(delete(lti_nonces).where(lti_nonces.c.expires_at < func.now()))
        stmt = pg_insert(lti_nonces).values(nonce=nonce, expires_at=expires_at).on_conflict_do_nothing()
        return (await self._session.execute(stmt.returning(lti_nonces.c.nonce))).first() is not None

    async def context_course(self, platform_id: UUID, context_id: str) -> UUID | None:
        stmt = select(lti_contexts.c.course_id).where(
            lti_contexts.c.platform_id == platform_id, lti_contexts.c.context_id == context_id
        )
        found = (await self._session.execute(stmt)).scalar()
        return None if found is None else UUID(str(found))

    async def link_context(self, platform_id: UUID, context_id: str, course_id: UUID) -> UUID:
        stmt = pg_insert(lti_contexts).values(
            platform_id=platform_id, context_id=context_id, course_id=course_id
        )
        await self._session.execute(stmt.on_conflict_do_nothing())
        linked = await self.context_course(platform_id, context_id)
        assert linked is not None
        return linked

    async def add_tool_key(self, kid: str, sealed: bytes, retire_others_at: datetime | None) -> None:
        if retire_others_at is not None:
            await self._session.execute(
                update(lti_tool_keys)
                .where(lti_tool_keys.c.retired_at.is_(None))
                .values(retired_at=retire_others_at)
            )
        await self._session.execute(
            pg_insert(lti_tool_keys).values(kid=kid, sealed_key=sealed).on_conflict_do_nothing()
        )

    async def tool_keys(self) -> Sequence[Row[Any]]:
        """The keys still published, newest first (the first signs)."""
        published = or_(lti_tool_keys.c.retired_at.is_(None), lti_tool_keys.c.retired_at > func.now())
        stmt = (
            select(lti_tool_keys)
            .where(published)
            .order_by(lti_tool_keys.c.retired_at.is_(None).desc(), lti_tool_keys.c.created_at.desc())
        )
        return await self._all(stmt)

    async def set_memberships_url(self, platform_id: UUID, context_id: str, url: str) -> None:
        stmt = update(lti_contexts).where(
            lti_contexts.c.platform_id == platform_id,
            lti_contexts.c.context_id == context_id,
            lti_contexts.c.memberships_url.is_distinct_from(url),
        )
        await self._session.execute(stmt.values(memberships_url=url))

    async def course_contexts(self, course_id: UUID) -> Sequence[Row[Any]]:
        stmt = select(lti_contexts, lti_platforms.c.issuer).join(
            lti_platforms, lti_platforms.c.id == lti_contexts.c.platform_id
        )
        return await self._all(stmt.where(lti_contexts.c.course_id == course_id))

    async def mark_synced(self, platform_id: UUID, context_id: str) -> None:
        stmt = update(lti_contexts).where(
            lti_contexts.c.platform_id == platform_id, lti_contexts.c.context_id == context_id
        )
        await self._session.execute(stmt.values(synced_at=func.now()))

    async def identities_of(self, issuer: str, subjects: Sequence[str]) -> dict[str, UUID]:
        stmt = select(identities.c.subject, identities.c.user_id).where(
            identities.c.issuer == issuer, identities.c.subject.in_(list(subjects))
        )
        return {row.subject: UUID(str(row.user_id)) for row in await self._session.execute(stmt)}

    async def bind_identities(self, issuer: str, bound: Sequence[tuple[str, UUID]]) -> None:
        rows = [{"issuer": issuer, "subject": subject, "user_id": user_id} for subject, user_id in bound]
        if rows:
            await self._session.execute(pg_insert(identities).values(rows).on_conflict_do_nothing())

    async def set_lineitem(self, platform_id: UUID, context_id: str, assignment_id: UUID, url: str) -> None:
        values = {"platform_id": platform_id, "context_id": context_id, "assignment_id": assignment_id}
        stmt = pg_insert(lti_lineitems).values(**values, lineitem_url=url)
        changed = lti_lineitems.c.lineitem_url.is_distinct_from(stmt.excluded.lineitem_url)
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=list(values), set_={"lineitem_url": stmt.excluded.lineitem_url}, where=changed
            )
        )

    async def score_targets(self, assignment_id: UUID, student_id: UUID) -> Sequence[Row[Any]]:
        stmt = (
            select(lti_lineitems.c.lineitem_url, identities.c.subject, lti_platforms)
            .join(lti_platforms, lti_platforms.c.id == lti_lineitems.c.platform_id)
            .join(identities, identities.c.issuer == lti_platforms.c.issuer)
            .where(lti_lineitems.c.assignment_id == assignment_id, identities.c.user_id == student_id)
        )
        return await self._all(stmt)
