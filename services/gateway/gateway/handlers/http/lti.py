"""LTI 1.3 over HTTP (docs/lti.md): an admin registers platforms (`/v1/lti/platforms`); a
platform's administrator reads what to enter from `/lti/config`; a browser comes through
`/lti/login` (the platform's third-party login, GET or POST) and back to `/lti/launch` (the
id_token, posted as a form), which lands it on the school's front end (LTI_LANDING_URL, with the
token in the fragment, which no server sees) or, without one, on a small page of its own."""

import html
from typing import Any
from urllib.parse import parse_qs, urlencode
from uuid import UUID

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway import schemas as s
from gateway.domain.lti import LaunchRefused
from gateway.handlers.http.deps import Admin, EdgeOf, User, edge_of
from gateway.usecases import lti
from gradeflow_shared.openapi import errors

router = APIRouter(tags=["lti"])
MAX_FORM_CHARS = 64 * 1024  # an id_token of a platform is a few KiB
MAX_PARAM_CHARS = 2000  # a login's parameter (an issuer, a hint, a URL)


@router.post(
    "/v1/lti/platforms",
    status_code=status.HTTP_201_CREATED,
    response_model=s.LtiPlatformOut,
    responses=errors(409),
)
async def register_platform(body: s.LtiPlatformIn, edge: EdgeOf, _: Admin) -> s.LtiPlatformOut:
    """Register an LMS as an LTI 1.3 platform (admins only)."""
    row = await lti.register_platform(edge.context.units, body)
    return s.LtiPlatformOut.model_validate(row, from_attributes=True)


@router.get("/v1/lti/platforms", response_model=list[s.LtiPlatformOut])
async def list_platforms(edge: EdgeOf, _: Admin) -> list[s.LtiPlatformOut]:
    rows = await lti.platforms(edge.context.units)
    return [s.LtiPlatformOut.model_validate(row, from_attributes=True) for row in rows]


@router.post(
    "/v1/courses/{course_id}/lti/roster-sync",
    response_model=s.LtiRosterSynced,
    responses=errors(404, 409, 503),
)
async def sync_roster(course_id: UUID, edge: EdgeOf, user: User) -> s.LtiRosterSynced:
    """The course's roster synced from its LMS now (a teacher's launch also does it): each active
    instructor and learner the LMS lists enrolled in their role; no one renamed or removed."""
    synced = await edge.lti.sync_roster(user, course_id)
    return s.LtiRosterSynced(**synced.__dict__)


@router.get("/lti/config", response_model=s.LtiToolOut)
async def tool_config(request: Request) -> s.LtiToolOut:
    """The URLs a platform's administrator enters to register Gradeflow as a tool."""
    return s.LtiToolOut(
        login_url=_url(request, "/lti/login"),
        launch_url=_url(request, "/lti/launch"),
        key_set_url=_url(request, "/lti/jwks.json"),
    )


@router.get("/lti/jwks.json")
async def tool_keys(edge: EdgeOf) -> dict[str, Any]:
    """The tool's public keys (RS256), which platforms check its deep-linking answers and its
    service token requests against: the signing key and those rotated out less than a day ago."""
    return await edge.lti.keyring.jwks()


@router.post("/v1/lti/keys/rotate", response_model=s.LtiKeyOut)
async def rotate_tool_key(edge: EdgeOf, _: Admin) -> s.LtiKeyOut:
    """A new tool key signs from now on; the others stay published a day (admins only)."""
    return s.LtiKeyOut(kid=await edge.lti.keyring.rotate())


@router.get("/lti/login", status_code=status.HTTP_302_FOUND, responses=errors(401))
async def login(request: Request) -> Response:
    """The platform's third-party login initiation (query): on to its authorization endpoint."""
    return await _login(request, dict(request.query_params))


@router.post("/lti/login", status_code=status.HTTP_302_FOUND, responses=errors(401))
async def login_posted(request: Request) -> Response:
    """The platform's third-party login initiation (form): on to its authorization endpoint."""
    return await _login(request, {**dict(request.query_params), **await _form(request)})


async def _login(request: Request, params: dict[str, str]) -> Response:
    for required in ("iss", "login_hint", "target_link_uri"):
        if not params.get(required):
            raise LaunchRefused(f"the login has no {required}", required)
    for name, value in params.items():
        if len(value) > MAX_PARAM_CHARS:
            raise LaunchRefused(f"{name} is over {MAX_PARAM_CHARS} characters", name)
    known = {k: params[k] for k in lti.LoginRequest.__dataclass_fields__ if params.get(k)}
    where = await edge_of(request).lti.login(lti.LoginRequest(**known), _url(request, "/lti/launch"))
    return RedirectResponse(where, status_code=status.HTTP_302_FOUND)


@router.post("/lti/launch", responses=errors(401))
async def launch(request: Request) -> Response:
    """The platform posts the id_token here: checked, the user signed in and landed."""
    form = await _form(request)
    if not form.get("id_token") or not form.get("state"):
        raise LaunchRefused(
            "the launch posts an id_token and a state", "id_token" if not form.get("id_token") else "state"
        )
    edge = edge_of(request)
    landing = await edge.lti.launch(form["id_token"], form["state"])
    fragment = {
        "token": landing.token,
        "course_id": str(landing.course_id),
        "role": landing.role,
        **({"assignment_id": str(landing.assignment_id)} if landing.assignment_id else {}),
        **({"selection": landing.choice.selection} if landing.choice else {}),
    }
    if edge.lti_landing_url:
        return RedirectResponse(
            f"{edge.lti_landing_url}#{urlencode(fragment)}", status_code=status.HTTP_303_SEE_OTHER
        )
    return HTMLResponse(_page(fragment, landing.choice), headers=_PRIVATE)


@router.post("/lti/deep-link", responses=errors(401, 404))
async def deep_link(request: Request) -> Response:
    """A teacher's choice in a deep-linking launch (`selection` from its landing, `assignment_id`):
    the browser posts the signed answer on to the platform, which adds the activity."""
    form = await _form(request)
    try:
        assignment_id: UUID | None = UUID(form.get("assignment_id", ""))
    except ValueError:
        assignment_id = None  # not found, once the selection is checked
    tool = edge_of(request).lti
    launch_url = _url(request, "/lti/launch")
    answer = await tool.deep_link(form.get("selection", ""), assignment_id, launch_url)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Gradeflow</title></head><body>"
        f'<form id="answer" method="post" action="{html.escape(answer.return_url)}">'
        f'<input type="hidden" name="JWT" value="{html.escape(answer.jwt)}"><button>Continue</button></form>'
        "<script>document.getElementById('answer').submit()</script></body></html>"
    )
    return HTMLResponse(page, headers=_PRIVATE)


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (each once: the first), bounded before it is parsed."""
    body = await request.body()
    if len(body) > MAX_FORM_CHARS:
        raise LaunchRefused(f"the form is over {MAX_FORM_CHARS} bytes", "body")
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=50)
    return {key: values[0] for key, values in fields.items()}


def _url(request: Request, path: str) -> str:
    public = edge_of(request).public_url or str(request.base_url)
    return public.rstrip("/") + path


_PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _page(fields: dict[str, str], choice: lti.Choice | None) -> str:
    """The landing without a front end: where the user is, the token a client uses and, for a
    deep-linking launch, a form per assignment to add to the LMS."""
    rows = "".join(
        f'<dt>{html.escape(k)}</dt><dd id="{html.escape(k)}">{html.escape(v)}</dd>' for k, v in fields.items()
    )
    forms = ""
    if choice is not None:
        selection = html.escape(choice.selection)
        forms = "".join(
            '<form method="post" action="deep-link">'
            f'<input type="hidden" name="selection" value="{selection}">'
            f'<input type="hidden" name="assignment_id" value="{a_id}">'
            f"<button>Add {html.escape(title)}</button></form>"
            for a_id, title in choice.assignments
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Gradeflow</title></head>"
        f"<body><h1>Signed in to Gradeflow</h1><dl>{rows}</dl>{forms}</body></html>"
    )
