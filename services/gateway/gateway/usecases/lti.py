"""Gradeflow as an LTI 1.3 tool (docs/lti.md): an admin registers a platform (an LMS); a user
who opens a Gradeflow activity there comes through the OIDC third-party login (`login`: the
platform is asked to authenticate them, with a state and a nonce of ours) and back with a signed
id_token (`launch`), which signs them in.

A launch is checked whole before anything is written: the state is ours and fresh; the id_token is
signed (RS256) by a key the platform publishes, for our client id (`aud`, `azp`), from the issuer
the login named, unexpired, carrying the login's nonce and target, from a registered deployment,
with the claims its message type requires (domain/lti.py). Its nonce is then taken once (a
replayed launch is refused by every replica). The user is the platform's subject — bound once to
a Gradeflow user as (issuer, subject), never found by an email the platform asserts: a new user
gets the email only if no account has it — the course is the platform's context (made at its first
launch), the role the launch's (instructor → teacher, learner → student, mentor → parent of the
mentees already known), and the landing a short-lived Gradeflow token for the course and, when the
link names one (`custom.assignment_id`), the assignment."""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar, cast
from urllib.parse import urlencode
from uuid import UUID

import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from gateway import schemas as s
from gateway.domain.access import PARENT, STUDENT, TEACHER
from gateway.domain.errors import Conflict, NotFound
from gateway.domain.lti import (
    CONTENT_ITEMS,
    DEEP_LINKING_DATA,
    DEEP_LINKING_RESPONSE,
    DEPLOYMENT_ID,
    MESSAGE_TYPE,
    TARGET_LINK_URI,
    VERSION,
    Launch,
    LaunchRefused,
    read_launch,
    read_members,
)
from gateway.domain.records import JsonObject, LtiPlatformRecord, LtiScoreTarget, LtiToolKeyRecord, UserRecord
from gateway.usecases.catalogue import (
    ROSTER_EVENT_MEMBERS,
    ROSTER_STATEMENT_ROWS,
    course_event,
    enrollment_event,
    role_in,
)
from gateway.usecases.ports import (
    LoginStateSigner,
    PlatformKeyring,
    PlatformServices,
    ToolKeySealer,
    Units,
    Uow,
)
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.errors import Unavailable
from gradeflow_shared.events import EnrollmentsChanged, GradeOverridden, Member, Role, SubmissionGraded
from gradeflow_shared.ids import new_id

T = TypeVar("T")
log = logging.getLogger(__name__)

LEEWAY_SECONDS = 30  # clocks of platform and tool may differ by this much (iat, exp)
LANDING_TOKEN_SECONDS = 900  # the token a launch lands with: long enough to open the activity
MAX_CHOICES = 100  # assignments a deep-linking launch offers (the course's newest)


class SignIn(Protocol):
    def __call__(self, user_id: UUID, ttl_seconds: float) -> str: ...


@dataclass(frozen=True)
class LoginRequest:
    """The platform's third-party login initiation (GET query or POST form)."""

    iss: str
    login_hint: str
    target_link_uri: str
    lti_message_hint: str | None = None
    client_id: str | None = None
    lti_deployment_id: str | None = None


@dataclass(frozen=True)
class Choice:
    """A deep-linking launch's question: which of the course's assignments to add to the LMS."""

    selection: str  # signed: platform, deployment, course, return URL, the platform's data
    assignments: list[tuple[UUID, str]]  # (id, title), newest first


@dataclass(frozen=True)
class Landing:
    course_id: UUID
    role: str
    assignment_id: UUID | None
    token: str  # a Gradeflow bearer token for the user, LANDING_TOKEN_SECONDS long
    choice: Choice | None = None  # a deep-linking launch's


@dataclass(frozen=True)
class DeepLinkAnswer:
    return_url: str  # where the browser posts it (the platform's deep_link_return_url)
    jwt: str  # the LtiDeepLinkingResponse, signed with the tool's key


ROTATION_OVERLAP = timedelta(days=1)  # a rotated-out key stays published: platforms cache key sets
KEYS_KEPT_SECONDS = 30.0  # a replica reads the keys again after this (another may have rotated)


@dataclass
class ToolKeyring:
    """The tool's RSA keys: the newest signs; all still published are in its JWKS. The first is
    made at the first need; `rotate` makes the next and retires the others a day later."""

    units: Units
    sealer: ToolKeySealer
    _kept: tuple[float, list[tuple[str, RSAPrivateKey]]] | None = None

    async def keys(self) -> list[tuple[str, RSAPrivateKey]]:
        if self._kept is not None and time.monotonic() - self._kept[0] < KEYS_KEPT_SECONDS:
            return self._kept[1]
        async with self.units() as uow:
            keys = self._opened(await uow.repos.lti.tool_keys())
            if not keys:  # the first need, or none sealed under this AUTH_SECRET (it changed)
                await uow.repos.lti.add_tool_key(*self.sealer.new(), retire_others_at=None)
                keys = self._opened(await uow.repos.lti.tool_keys())
            await uow.commit()
        self._kept = (time.monotonic(), keys)
        return keys

    def _opened(self, rows: Sequence[LtiToolKeyRecord]) -> list[tuple[str, RSAPrivateKey]]:
        keys = []
        for row in rows:
            try:
                keys.append((row.kid, self.sealer.open(row.kid, row.sealed_key)))
            except InvalidTag:
                log.warning("LTI tool key %s is sealed under another AUTH_SECRET: not used", row.kid)
        return keys

    async def jwks(self) -> dict[str, list[JsonObject]]:
        return {"keys": [self.sealer.public_jwk(kid, key) for kid, key in await self.keys()]}

    async def sign(self, claims: dict[str, Any]) -> str:
        kid, key = (await self.keys())[0]
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

    async def rotate(self) -> str:
        kid, sealed = self.sealer.new()
        async with self.units() as uow:
            retire_at = datetime.now(UTC) + ROTATION_OVERLAP
            await uow.repos.lti.add_tool_key(kid, sealed, retire_others_at=retire_at)
            await uow.commit()
        self._kept = None
        return kid


async def register_platform(units: Units, cmd: s.LtiPlatformIn) -> LtiPlatformRecord:
    async with units() as uow:
        row = await uow.repos.lti.add_platform(cmd.model_dump(mode="json"))
        if row is None:
            raise Conflict(
                "a platform with this issuer and client id is registered already", field="client_id"
            )
        await uow.commit()
    return row


async def platforms(units: Units) -> list[LtiPlatformRecord]:
    async with units() as uow:
        return list(await uow.repos.lti.platforms())


@dataclass(frozen=True)
class RosterSynced:
    members: int  # active members the platform listed
    students: int
    teachers: int
    skipped: int  # inactive, or in no role Gradeflow maps without a launch (mentors)


@dataclass(frozen=True)
class LtiTool:
    units: Units
    keys: PlatformKeyring
    states: LoginStateSigner
    selections: LoginStateSigner  # a deep-linking launch's choice, until the teacher makes it
    keyring: ToolKeyring
    services: PlatformServices
    sign_in: SignIn
    _syncing: set[UUID] = field(default_factory=set)  # courses whose roster is being synced
    _tasks: set["asyncio.Task[None]"] = field(default_factory=set)

    async def login(self, request: LoginRequest, launch_url: str) -> str:
        """Where the browser goes next: the platform's authorization endpoint, asked for an
        id_token to be posted to `launch_url`, with a fresh state and nonce."""
        async with self.units() as uow:
            platform = await uow.repos.lti.platform(request.iss, request.client_id)
        if platform is None:
            raise LaunchRefused("no LTI platform is registered for this issuer (and client id)", "iss")
        nonce = new_id().hex
        state = self.states.issue(
            {
                "iss": platform.issuer,
                "client_id": platform.client_id,
                "nonce": nonce,
                "target": request.target_link_uri,
            }
        )
        query = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": platform.client_id,
            "redirect_uri": launch_url,
            "login_hint": request.login_hint,
            "state": state,
            "nonce": nonce,
        }
        if request.lti_message_hint is not None:
            query["lti_message_hint"] = request.lti_message_hint
        separator = "&" if "?" in platform.auth_login_url else "?"
        return f"{platform.auth_login_url}{separator}{urlencode(query)}"

    async def launch(self, id_token: str, state: str) -> Landing:
        started = self.states.read(state)
        platform, claims = await self._verified(id_token, started)
        launch = read_launch(claims, list(platform.deployment_ids))
        expires = datetime.fromtimestamp(int(claims["exp"]), UTC) + timedelta(seconds=LEEWAY_SECONDS)
        async with self.units() as uow:
            if not await uow.repos.lti.take_nonce(str(claims["nonce"]), expires):
                raise LaunchRefused("this launch was used already (its nonce)", "nonce")
            user = await self._user(uow, platform, launch)
            course_id = await self._course(uow, platform, launch, user)
            assignment_id = await _assignment(uow, course_id, launch.custom.get("assignment_id"))
            if assignment_id is not None and launch.lineitem_url:  # where its grades go
                await uow.repos.lti.set_lineitem(
                    platform.id, launch.context_id, assignment_id, launch.lineitem_url
                )
            choice = (
                await self._choice(uow, platform, launch, course_id) if launch.deep_link_return_url else None
            )
            await uow.commit()
        if launch.role == TEACHER and launch.memberships_url:
            self._sync_soon(user.id, course_id)  # a teacher's launch brings the roster in
        token = self.sign_in(user.id, LANDING_TOKEN_SECONDS)
        return Landing(course_id, launch.role, assignment_id, token, choice)

    async def _choice(self, uow: Uow, platform: LtiPlatformRecord, launch: Launch, course_id: UUID) -> Choice:
        page = await uow.repos.assignments.assignments_page(course_id, MAX_CHOICES, None)
        claims = {
            "platform": str(platform.id),
            "deployment_id": launch.deployment_id,
            "course_id": str(course_id),
            "return_url": launch.deep_link_return_url or "",
            **({"data": launch.deep_link_data} if launch.deep_link_data is not None else {}),
        }
        return Choice(self.selections.issue(claims), [(a.id, a.title) for a in page])

    async def deep_link(self, selection: str, assignment_id: UUID | None, launch_url: str) -> DeepLinkAnswer:
        """The teacher's choice, as the LtiDeepLinkingResponse the platform takes: a resource
        link to the assignment (its id as a custom parameter, which every launch of it brings
        back) with a line item for its grades (score maximum: its tests' weights)."""
        chosen = self.selections.read(selection)
        async with self.units() as uow:
            platform = await uow.repos.lti.platform_by_id(UUID(chosen["platform"]))
            assignment = await uow.repos.assignments.get_assignment(assignment_id) if assignment_id else None
            if platform is None or assignment is None or str(assignment.course_id) != chosen["course_id"]:
                raise NotFound("no such assignment in the course being linked", field="assignment_id")
            tests = await uow.repos.assignments.list_test_cases(assignment.id, assignment.suite_version)
        now = int(time.time())
        item = {
            "type": "ltiResourceLink",
            "title": assignment.title,
            "url": launch_url,
            "custom": {"assignment_id": str(assignment.id)},
            "lineItem": {
                "scoreMaximum": sum(t.weight for t in tests) or 1,
                "label": assignment.title,
                "resourceId": str(assignment.id),
            },
        }
        claims = {
            "iss": platform.client_id,
            "aud": platform.issuer,
            "iat": now,
            "exp": now + 600,
            "nonce": new_id().hex,
            DEPLOYMENT_ID: chosen["deployment_id"],
            MESSAGE_TYPE: DEEP_LINKING_RESPONSE,
            VERSION: "1.3.0",
            CONTENT_ITEMS: [item],
            **({DEEP_LINKING_DATA: chosen["data"]} if "data" in chosen else {}),
        }
        return DeepLinkAnswer(chosen["return_url"], await self.keyring.sign(claims))

    async def _verified(
        self, id_token: str, started: dict[str, str]
    ) -> tuple[LtiPlatformRecord, dict[str, Any]]:
        """The platform and the id_token's claims, every check of the signature and of the
        standard claims done; LaunchRefused naming the first that failed."""
        try:
            header = jwt.get_unverified_header(id_token)
            peek = jwt.decode(id_token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise LaunchRefused("the id_token is not a JWT", "id_token") from exc
        if header.get("alg") != "RS256":  # LTI's only algorithm; never "none", never a shared secret
            raise LaunchRefused("the id_token must be signed with RS256", "alg")
        audience = peek.get("aud")
        client_id = audience if isinstance(audience, str) else peek.get("azp")
        if isinstance(audience, list) and len(audience) == 1:
            client_id = client_id or audience[0]
        if peek.get("iss") != started["iss"] or client_id != started["client_id"]:
            raise LaunchRefused("the id_token is not for the platform and client the login named", "aud")
        async with self.units() as uow:
            platform = await uow.repos.lti.platform(started["iss"], started["client_id"])
        if platform is None:
            raise LaunchRefused("the platform is no longer registered", "iss")
        key = await self.keys.key(platform.key_set_url, str(header.get("kid")))
        if key is None:
            raise LaunchRefused("the id_token is signed by a key the platform does not publish", "kid")
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=["RS256"],
                audience=platform.client_id,
                issuer=platform.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise LaunchRefused("the id_token has expired", "exp") from exc
        except jwt.InvalidAudienceError as exc:
            raise LaunchRefused("the id_token is not for this tool's client id", "aud") from exc
        except jwt.PyJWTError as exc:
            raise LaunchRefused(f"the id_token is refused: {exc}", "id_token") from exc
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != platform.client_id:
            raise LaunchRefused("an id_token for several audiences must name this tool as azp", "azp")
        if claims["nonce"] != started["nonce"]:
            raise LaunchRefused("the nonce is not the one this login sent", "nonce")
        if claims.get(TARGET_LINK_URI) != started["target"]:
            raise LaunchRefused("the target link is not the one the login named", TARGET_LINK_URI)
        return platform, claims

    async def sync_roster(self, actor_id: UUID, course_id: UUID) -> RosterSynced:
        """The course's roster as its LMS lists it (Names and Role Provisioning), for each
        context linked to it: every active instructor and learner enrolled in their role — a
        member already bound by (issuer, subject) as that user, anyone else as a new user (with
        the listed email only if no account has it: never someone else's account), no one
        renamed; members the LMS no longer lists are left as they are."""
        async with self.units() as uow:
            await role_in(uow, course_id, actor_id, require=TEACHER)
            contexts = [c for c in await uow.repos.lti.course_contexts(course_id) if c.memberships_url]
            platforms = {c.platform_id: await uow.repos.lti.platform_by_id(c.platform_id) for c in contexts}
        if not contexts:
            raise Conflict("no launch from the course's LMS has offered its roster yet", field="course_id")
        totals = RosterSynced(0, 0, 0, 0)
        for context in contexts:
            platform = platforms[context.platform_id]
            if platform is None or context.memberships_url is None:
                continue
            listed = await self.services.memberships(
                platform, context.memberships_url, await self._assertion(platform)
            )
            synced = await self._enrol(platform, context.context_id, course_id, listed)
            totals = RosterSynced(
                *(a + b for a, b in zip(totals.__dict__.values(), synced.__dict__.values(), strict=True))
            )
        return totals

    def _sync_soon(self, actor_id: UUID, course_id: UUID) -> None:
        """The course's roster synced in the background (one sync a course at a time); one that
        fails is logged and comes again at the next teacher's launch, or on demand."""
        if course_id in self._syncing:
            return
        self._syncing.add(course_id)

        async def sync() -> None:
            try:
                synced = await self.sync_roster(actor_id, course_id)
                log.info("LTI roster of course %s synced: %s", course_id, synced)
            except Exception:
                log.exception("LTI roster of course %s not synced", course_id)
            finally:
                self._syncing.discard(course_id)

        task = asyncio.create_task(sync())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def pass_back_graded(self, event: SubmissionGraded, _: Envelope) -> None:
        """A grade to the LMS the course is linked to, as the gateway recorded it (after any late
        penalty; an override that holds the submission instead). Retried through the tiers while
        the gradebook has not recorded it yet, or the platform cannot take it. A regrade that
        moved nothing (or that an override holds) is not posted: the platform has that grade."""
        if event.regrade_id is not None and not event.notify:
            return
        async with self.units() as uow:
            targets = await uow.repos.lti.score_targets(event.assignment_id, event.student_id)
            submission = await uow.repos.submissions.get_submission(event.submission_id) if targets else None
        if submission is None:
            return  # linked to no line item (or no such submission): nothing to pass back
        recorded = submission.suite_version or 1
        if submission.status != "graded" or recorded < event.suite_version:
            raise Unavailable("the grade is not recorded in the gradebook yet")  # the other queue's turn
        if recorded > event.suite_version:
            return  # a later suite's grade holds the submission: that one is posted
        held = submission.override_score is not None
        score = submission.override_score if held else submission.score
        comment = submission.override_reason if held else f"{event.verdict} ({event.score}/{event.max_score})"
        when = submission.override_at if held and submission.override_at else event.graded_at
        await self._post(targets, _score(score or 0, event.max_score, comment, when))

    async def pass_back_override(self, event: GradeOverridden, _: Envelope) -> None:
        """A teacher's grade (or, taken back, the graded one) to the LMS the course is linked to."""
        async with self.units() as uow:
            targets = await uow.repos.lti.score_targets(event.assignment_id, event.student_id)
        score = event.score if event.score is not None else event.graded_score
        if targets and score is not None:
            await self._post(targets, _score(score, event.max_score, event.reason, event.at))

    async def _post(self, targets: Sequence[LtiScoreTarget], score: JsonObject) -> None:
        for target in targets:
            await self.services.post_score(
                target,
                target.lineitem_url,
                {**score, "userId": target.subject},
                await self._assertion(target),
            )

    async def _assertion(self, platform: LtiPlatformRecord) -> str:
        """The tool's client assertion for the platform's token endpoint (RFC 7523)."""
        now = int(time.time())
        claims = {
            "iss": platform.client_id,
            "sub": platform.client_id,
            "aud": platform.auth_token_url,
            "iat": now,
            "exp": now + 300,
            "jti": new_id().hex,
        }
        return await self.keyring.sign(claims)

    async def _enrol(
        self, platform: LtiPlatformRecord, context_id: str, course_id: UUID, listed: Sequence[JsonObject]
    ) -> RosterSynced:
        people, skipped = read_members(listed)
        async with self.units() as uow:
            known: dict[str, UUID] = {}
            for some in _slices([p.subject for p in people]):
                known |= await uow.repos.lti.identities_of(platform.issuer, some)
            new = [p for p in people if p.subject not in known]
            for batch in _slices(new):
                made = await _new_users(uow, [(p.email, p.name) for p in batch])
                await uow.repos.lti.bind_identities(
                    platform.issuer, [(p.subject, user) for p, user in zip(batch, made, strict=True)]
                )
            for some in _slices([p.subject for p in new]):  # as bound: a concurrent sync's, if first
                known |= await uow.repos.lti.identities_of(platform.issuer, some)
            roles = {known[p.subject]: p.role for p in people if p.subject in known}
            members = []
            for enrolled in _slices(list(roles)):
                await uow.repos.courses.upsert_enrollments(
                    course_id, [(user, roles[user]) for user in enrolled]
                )
                for user in await uow.repos.users.users_by_id(enrolled):
                    members.append(
                        Member(
                            user_id=user.id, email=user.email, name=user.name, role=cast(Role, roles[user.id])
                        )
                    )
            for start in range(0, len(members), ROSTER_EVENT_MEMBERS):
                uow.add_event(
                    EnrollmentsChanged(
                        course_id=course_id, members=tuple(members[start : start + ROSTER_EVENT_MEMBERS])
                    )
                )
            await uow.repos.lti.mark_synced(platform.id, context_id)
            await uow.commit()
        students = sum(1 for r in roles.values() if r == STUDENT)
        return RosterSynced(len(people), students, len(roles) - students, skipped)

    async def _user(self, uow: Uow, platform: LtiPlatformRecord, launch: Launch) -> UserRecord:
        users = uow.repos.users
        bound = await users.identity(platform.issuer, launch.subject)
        if bound is None:
            [made] = await _new_users(uow, [(launch.email, launch.name)])
            bound = await users.bind_identity(platform.issuer, launch.subject, made)
        user = await users.get_user(bound)
        assert user is not None
        return user

    async def _course(self, uow: Uow, platform: LtiPlatformRecord, launch: Launch, user: UserRecord) -> UUID:
        courses = uow.repos.courses
        course_id = await uow.repos.lti.context_course(platform.id, launch.context_id)
        if course_id is None:
            course = await courses.add_course(
                user.id, {"title": launch.context_title, "grades_to_parents": False}
            )
            course_id = await uow.repos.lti.link_context(platform.id, launch.context_id, course.id)
            if course_id == course.id:
                uow.add_event(course_event(course))
        if launch.memberships_url:
            await uow.repos.lti.set_memberships_url(platform.id, launch.context_id, launch.memberships_url)
        enrolled = await courses.enrollment(course_id, user.id)
        followed: list[UUID] = []
        if launch.role == PARENT and launch.mentees:
            mentees = await uow.repos.lti.identities_of(platform.issuer, launch.mentees[:100])
            for student in mentees.values():
                row = await courses.enrollment(course_id, student)
                if row is not None and row.role == STUDENT:
                    followed.append(student)
        if enrolled is None or enrolled.role != launch.role or followed:
            await courses.upsert_enrollments(course_id, [(user.id, launch.role)])
            if followed:
                await courses.add_parent_links(course_id, [(user.id, child) for child in followed])
            children: list[UUID | None] = [*followed] or [None]  # the notifier's copy: an event a link
            for child in children:
                uow.add_event(enrollment_event(course_id, user, launch.role, child))
        return course_id


async def _assignment(uow: Uow, course_id: UUID, named: str | None) -> UUID | None:
    """The assignment the link names, if it is one of the course's (else the course lands alone)."""
    try:
        assignment_id = UUID(named) if named else None
    except ValueError:
        return None
    if assignment_id is None:
        return None
    found = await uow.repos.assignments.get_assignment(assignment_id)
    return assignment_id if found is not None and found.course_id == course_id else None


def _slices(items: list[T]) -> list[list[T]]:
    return [items[i : i + ROSTER_STATEMENT_ROWS] for i in range(0, len(items), ROSTER_STATEMENT_ROWS)]


def _score(given: int, maximum: int, comment: str | None, at: datetime) -> JsonObject:
    """A score as AGS 2.0 takes it (the platform keeps the latest by timestamp: a re-post after a
    regrade or an override replaces, never adds)."""
    return {
        "scoreGiven": given,
        "scoreMaximum": maximum,
        "comment": comment or "",
        "timestamp": at.isoformat(),
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
    }


async def _new_users(uow: Uow, people: Sequence[tuple[str | None, str]]) -> list[UUID]:
    """A new user for each (email, name): with the email if no account has it — claimed by the
    insert itself, so no existing account is ever taken, not even one made meanwhile by another
    request — else with an address of its own under lti.invalid (an email a platform asserts
    names nobody here)."""
    emails = [email.strip().lower() if email and len(email) <= 320 else None for email, _ in people]
    made = await uow.repos.users.add_new_users(
        [(e, name) for e, (_, name) in zip(emails, people, strict=True) if e]
    )
    ids = [made.pop(email, None) if email else None for email in emails]  # an email's first person only
    missing = [i for i, user in enumerate(ids) if user is None]
    placeholders = [(f"{new_id().hex}@lti.invalid", people[i][1]) for i in missing]
    more = await uow.repos.users.add_new_users(placeholders)
    for i, (email, _) in zip(missing, placeholders, strict=True):
        ids[i] = more[email]
    return [user for user in ids if user is not None]
