"""An LTI 1.3 launch, pure: the claims of an id_token whose signature, issuer, audience and expiry
are checked already (adapters/lti.py) read into what Gradeflow acts on — who, in which course, in
which role, asking for what — each claim the specification requires checked, a fault named by
its claim (LTI 1.3 core §5, Deep Linking 2.0 §4.4, NRPS 2.0, AGS 2.0)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import EmailStr, TypeAdapter, ValidationError

from gateway.domain.access import PARENT, STUDENT, TEACHER
from gradeflow_shared.errors import Unauthenticated

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
VERSION = CLAIM + "version"
DEPLOYMENT_ID = CLAIM + "deployment_id"
TARGET_LINK_URI = CLAIM + "target_link_uri"
ROLES = CLAIM + "roles"
ROLE_SCOPE_MENTOR = CLAIM + "role_scope_mentor"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
CUSTOM = CLAIM + "custom"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DEEP_LINKING_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
NAMES_ROLES = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
GRADES = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
MESSAGE_TYPES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)

# Context roles (LIS v2 membership vocabulary), full or in the short form LTI 1.3 still allows,
# sub-roles (Instructor#TeachingAssistant) as their principal role. The first that matches wins:
# an instructor who is also a learner teaches.
_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
_ROLE_ORDER = (
    ("Administrator", TEACHER),
    ("ContentDeveloper", TEACHER),
    ("Instructor", TEACHER),
    ("Learner", STUDENT),
    ("Mentor", PARENT),
)

MAX_CLAIM_CHARS = 500  # an identifier (subject, context, resource link, deployment) longer is refused


class LaunchRefused(Unauthenticated):
    """A launch Gradeflow does not accept (401), naming the claim or parameter at fault."""

    def __init__(self, message: str, claim: str) -> None:
        super().__init__(message)
        self.field = claim


@dataclass(frozen=True)
class Launch:
    """What a checked launch asks: who (the platform's subject), in which context and role."""

    message_type: str
    deployment_id: str
    subject: str
    name: str
    email: str | None
    role: str  # Gradeflow's: teacher, student or parent
    context_id: str
    context_title: str
    resource_link_id: str | None = None
    mentees: tuple[str, ...] = ()  # a mentor's students (their subjects)
    custom: dict[str, str] = field(default_factory=dict)
    deep_link_return_url: str | None = None
    deep_link_data: str | None = None
    memberships_url: str | None = None
    lineitem_url: str | None = None
    lineitems_url: str | None = None


def course_role(roles: list[str]) -> str | None:
    """Gradeflow's role for the launch's LTI roles: None when none is a context role it maps."""
    names = set()
    for role in roles:
        if role.startswith(_MEMBERSHIP):
            role = role[len(_MEMBERSHIP) :].lstrip("#/").split("#")[0]
        elif "/" in role or ":" in role:
            continue  # a system or institution role: no role in this course
        names.add(role)
    return next((ours for theirs, ours in _ROLE_ORDER if theirs in names), None)


def read_launch(claims: dict[str, Any], deployment_ids: list[str]) -> Launch:
    """The launch the claims make, or LaunchRefused naming the first claim at fault."""
    message_type = _text(claims, MESSAGE_TYPE)
    if message_type not in MESSAGE_TYPES:
        raise LaunchRefused(f"a {message_type!r} message is not one Gradeflow takes", MESSAGE_TYPE)
    if claims.get(VERSION) != "1.3.0":
        raise LaunchRefused("the launch must be of LTI version 1.3.0", VERSION)
    deployment_id = _text(claims, DEPLOYMENT_ID)
    if deployment_id not in deployment_ids:
        raise LaunchRefused("this deployment of the platform is not registered", DEPLOYMENT_ID)
    subject = _text(claims, "sub")  # an anonymous launch names nobody to sign in
    roles = claims.get(ROLES)
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise LaunchRefused("the roles claim must be a list of role URIs", ROLES)
    role = course_role(roles)
    if role is None:
        raise LaunchRefused("no role in the course: instructor, learner or mentor", ROLES)
    context = _object(claims, CONTEXT)
    name = _name(claims) or subject
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    mentees = claims.get(ROLE_SCOPE_MENTOR, []) if role == PARENT else []
    if not isinstance(mentees, list) or not all(isinstance(m, str) for m in mentees):
        raise LaunchRefused("role_scope_mentor must be a list of user ids", ROLE_SCOPE_MENTOR)
    custom = claims.get(CUSTOM) or {}
    launch = Launch(
        message_type=message_type,
        deployment_id=deployment_id,
        subject=subject,
        name=name[:200],
        email=email,
        role=role,
        context_id=_text(context, "id", CONTEXT + ".id"),
        context_title=str(context.get("title") or context.get("label") or "LTI course")[:200],
        mentees=tuple(mentees),
        custom={str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {},
        **_services(claims),
    )
    if message_type == RESOURCE_LINK_REQUEST:
        link = _object(claims, RESOURCE_LINK)
        return _with(launch, resource_link_id=_text(link, "id", RESOURCE_LINK + ".id"))
    settings = _object(claims, DEEP_LINKING_SETTINGS)
    if role != TEACHER:
        raise LaunchRefused("only a course's instructor picks its activities", ROLES)
    return _with(
        launch,
        deep_link_return_url=_text(settings, "deep_link_return_url", DEEP_LINKING_SETTINGS),
        deep_link_data=settings.get("data") if isinstance(settings.get("data"), str) else None,
    )


def _services(claims: dict[str, Any]) -> dict[str, str | None]:
    names_roles = _service(claims, NAMES_ROLES)
    grades = _service(claims, GRADES)
    return {
        "memberships_url": _url(names_roles, "context_memberships_url"),
        "lineitem_url": _url(grades, "lineitem"),
        "lineitems_url": _url(grades, "lineitems"),
    }


def _service(claims: dict[str, Any], key: str) -> dict[str, Any]:
    value = claims.get(key)
    return value if isinstance(value, dict) else {}


def _with(launch: Launch, **changes: Any) -> Launch:
    return Launch(**{**launch.__dict__, **changes})


def _text(claims: dict[str, Any], key: str, claim: str | None = None) -> str:
    value = claims.get(key)
    if not isinstance(value, str) or not value:
        raise LaunchRefused(f"the launch has no {claim or key}", claim or key)
    if len(value) > MAX_CLAIM_CHARS:
        raise LaunchRefused(f"{claim or key} is over {MAX_CLAIM_CHARS} characters", claim or key)
    return value


def _object(claims: dict[str, Any], key: str) -> dict[str, Any]:
    value = claims.get(key)
    if not isinstance(value, dict):
        raise LaunchRefused(f"the launch has no {key} claim", key)
    return value


def _name(claims: Mapping[str, object]) -> str | None:
    parts = [claims.get(k) for k in ("given_name", "family_name")]
    full = claims.get("name") or " ".join(p for p in parts if isinstance(p, str) and p)
    return full if isinstance(full, str) and full.strip() else None


def _url(service: dict[str, Any], key: str) -> str | None:
    value = service.get(key)
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


@dataclass(frozen=True)
class Listed:
    """A member of a context as the platform's roster (NRPS) lists them."""

    subject: str
    name: str
    email: str | None
    role: str  # teacher or student


_email = TypeAdapter(EmailStr)


def read_members(members: Sequence[Mapping[str, object]]) -> tuple[list[Listed], int]:
    """The roster's active instructors and learners (each subject once), and how many members
    were skipped: inactive, malformed, or in no role a roster gives (a mentor needs the mentees a
    launch names)."""
    listed: dict[str, Listed] = {}
    skipped = 0
    for member in members:
        subject, roles = member.get("user_id"), member.get("roles")
        role = (
            course_role(roles) if isinstance(roles, list) and all(isinstance(r, str) for r in roles) else None
        )
        active = member.get("status", "Active") == "Active"
        if not active or role not in (TEACHER, STUDENT) or not isinstance(subject, str) or not subject:
            skipped += 1
            continue
        if len(subject) > MAX_CLAIM_CHARS or subject in listed:
            skipped += 1
            continue
        email = member.get("email")
        try:
            email = (
                _email.validate_python(email).lower()
                if isinstance(email, str) and len(email) <= 320
                else None
            )
        except ValidationError:
            email = None
        listed[subject] = Listed(subject, (_name(member) or subject)[:200], email, role)
    return list(listed.values()), skipped
