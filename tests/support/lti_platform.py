"""An LMS for the LTI tests, built on an LTI 1.3 platform implementation that is not this
project's (lti1p3platform, from PyPI): its registration holds the platform's RSA key and signs
launches as it builds them — the OIDC login initiation, then, from the tool's authorization
request, the launch message (user, roles, context, resource link, custom parameters) and its
id_token. Its key set is served by a real HTTP server on 127.0.0.1, where the gateway fetches it."""

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR, LEARNER, MENTOR = MEMBERSHIP + "Instructor", MEMBERSHIP + "Learner", MEMBERSHIP + "Mentor"
AUTHORIZE_URL = "https://lms.example.test/auth"  # the browser is the test: never fetched
DEEP_LINK_RETURN_URL = "https://lms.example.test/deep-link-return"
NAMES_ROLES_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
PAGE = 50  # members a roster page


def _pem(key: rsa.RSAPrivateKey) -> tuple[str, str]:
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private.decode(), public.decode()


class _Config(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._registration


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def __init__(self, authorization: dict[str, str], config: _Config) -> None:
        super().__init__(None, config)  # type: ignore[arg-type]
        self._authorization = authorization

    def get_preflight_response(self) -> dict[str, Any]:
        return self._authorization

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return launch_data  # the form's fields (id_token, state) and its action (launch_url)


@dataclass
class Person:
    subject: str
    roles: list[str]
    name: str
    email: str | None = None
    mentees: list[str] = field(default_factory=list)
    status: str = "Active"


class Lms:
    """One platform (issuer, client id, deployment) with Gradeflow registered as its tool."""

    def __init__(self, tool_login_url: str, tool_launch_url: str) -> None:
        self.issuer = f"https://lms-{uuid.uuid4().hex[:8]}.example.test"
        self.client_id, self.deployment_id = f"client-{uuid.uuid4().hex[:8]}", "deployment-1"
        self.registration = (
            Registration()
            .set_iss(self.issuer)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
            .set_oidc_login_url(tool_login_url)
            .set_launch_url(tool_launch_url)
            .set_deeplink_launch_url(tool_launch_url)
        )
        self.rotate()
        self.config = _Config(registration=self.registration)
        self.base_url = self.key_set_url = ""  # set once served
        self.key_fetches = self.roster_reads = 0
        self.rosters: dict[str, list[Person]] = {}  # context id → its members
        self.scores: dict[tuple[str, str], dict[str, Any]] = {}  # (line item, user) → the score held
        self.score_posts: list[tuple[str, dict[str, Any]]] = []  # every score posted, in order
        self.down = False  # every endpoint answers 503 while set
        self.refused = 0

    def rotate(self) -> None:
        """A new signing key, which alone the key set publishes from now on."""
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private, public = _pem(self.key)
        self.registration.set_platform_private_key(private).set_platform_public_key(public)

    def registered(self) -> dict[str, Any]:
        """Gradeflow's registration of this platform (POST /v1/lti/platforms)."""
        return {
            "name": "Test LMS",
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": [self.deployment_id],
            "auth_login_url": AUTHORIZE_URL,
            "auth_token_url": f"{self.base_url}/token",
            "key_set_url": self.key_set_url,
        }

    def login_initiation(self, person: Person) -> str:
        """The tool's login URL as the platform sends the browser to it."""
        login = _Login(None, self.config)
        login.set_lti_message_hint(hint=person.subject)
        return login.prepare_preflight_url(person.subject)

    def launch_message(
        self,
        authorization: dict[str, str],
        person: Person,
        context: tuple[str, str],
        link: str,
        custom: dict[str, str],
    ) -> dict[str, Any]:
        """The launch form the platform posts back for the tool's authorization request."""
        launch = _Launch(authorization, self.config)
        launch.set_user_data(person.subject, person.roles, person.name, person.email)
        launch.set_launch_context_claim(context[0], context_title=context[1])
        launch.set_resource_link_claim(link, title="Gradeflow activity")
        launch.set_custom_parameters_claim(custom)
        launch.set_nrps(f"{self.base_url}/memberships/{context[0]}")
        # The link's line item (one per resource link), where its grades are posted.
        launch.set_ags(f"{self.base_url}/lineitems", f"{self.base_url}/lineitems/{link}")
        if person.mentees:
            launch.set_extra_claims(
                {"https://purl.imsglobal.org/spec/lti/claim/role_scope_mentor": person.mentees}
            )
        form: dict[str, Any] = launch.lti_launch()
        return form

    def deep_linking_message(
        self, authorization: dict[str, str], person: Person, context: tuple[str, str], data: str
    ) -> dict[str, Any]:
        """The deep-linking launch form the platform posts for the tool's authorization request."""
        launch = _Launch(authorization, self.config)
        launch.set_user_data(person.subject, person.roles, person.name, person.email)
        launch.set_launch_context_claim(context[0], context_title=context[1])
        launch.set_dl(
            DEEP_LINK_RETURN_URL, "Add an activity", accept_types={"ltiResourceLink"}, extra_data=data
        )  # type: ignore[arg-type]
        form: dict[str, Any] = launch.lti_launch()
        return form

    def trust(self, tool_keys: dict[str, Any]) -> None:
        """The tool's key set, as the platform's registration of the tool holds it."""
        self.registration.set_tool_key_set(tool_keys)  # type: ignore[arg-type]

    def content_items(self, answer: str, tool_keys: dict[str, Any]) -> list[dict[str, Any]]:
        """The tool's deep-linking answer as the platform checks it, against the tool's key set."""
        self.trust(tool_keys)
        return self.config.validate_deeplinking_resp({"JWT": answer})

    def sign(
        self, claims: dict[str, Any], key: rsa.RSAPrivateKey | None = None, kid: str | None = None
    ) -> str:
        """Claims signed as the platform signs them — or with another key, under any kid."""
        headers = {"kid": kid or self.registration.get_kid()}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers=headers)

    def claims(self, id_token: str) -> dict[str, Any]:
        return dict(
            jwt.decode(id_token, self.key.public_key(), algorithms=["RS256"], audience=self.client_id)
        )

    def jwks(self) -> dict[str, Any]:
        return self.config.get_jwks()  # type: ignore[return-value]


async def launch(
    gateway: httpx.AsyncClient,
    lms: Lms,
    person: Person,
    context: tuple[str, str] = ("course-1", "Course 1"),
    link: str = "link-1",
    custom: dict[str, str] | None = None,
) -> tuple[dict[str, Any], httpx.Response]:
    """A browser's whole launch: the platform's login initiation to the gateway, its redirect to
    the platform's authorization endpoint, the platform's form posted back to the gateway. The
    form and the gateway's answer to it."""
    form = lms.launch_message(await authorized(gateway, lms, person), person, context, link, custom or {})
    answer = await gateway.post(
        urlsplit(form["launch_url"]).path, data={"id_token": form["id_token"], "state": form["state"]}
    )
    return form, answer


class _Landing(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._at: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._at = dict(attrs).get("id") if tag == "dd" else None

    def handle_data(self, data: str) -> None:
        if self._at:
            self.fields[self._at] = data


def landed(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 200, answer.text
    page = _Landing()
    page.feed(answer.text)
    return page.fields


class _Forms(HTMLParser):
    """Each form of a page: its action and its fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        at = dict(attrs)
        if tag == "form":
            self.forms.append((at.get("action") or "", {}))
        elif tag == "input" and self.forms:
            self.forms[-1][1][at.get("name") or ""] = at.get("value") or ""


def forms(answer: httpx.Response) -> list[tuple[str, dict[str, str]]]:
    assert answer.status_code == 200, answer.text
    page = _Forms()
    page.feed(answer.text)
    return page.forms


async def authorized(gateway: httpx.AsyncClient, lms: Lms, person: Person) -> dict[str, str]:
    """The platform's login initiation to the gateway: its authorization request's parameters."""
    started = await gateway.get(lms.login_initiation(person))
    assert started.status_code == 302, started.text
    where = urlsplit(started.headers["location"])
    assert f"{where.scheme}://{where.netloc}{where.path}" == AUTHORIZE_URL
    return dict(parse_qsl(where.query))


@contextmanager
def serving_platform(lms: Lms) -> Iterator[Lms]:
    """The platform's endpoints a tool calls, on a real HTTP server on 127.0.0.1: its key set,
    its token endpoint (lti1p3platform's client-credentials grant, checking the tool's signed
    assertion against the tool's key set), each context's roster (NRPS, checking the access
    token lti1p3platform issued; PAGE members a page, the next page named by a Link header) and
    each line item's scores (AGS: every post counted, the latest by timestamp held). `down` makes
    every endpoint answer 503."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server calls it so
            if lms.down:
                self._answer(503, {"error": "down for maintenance"})
                return
            if self.path == "/jwks":
                lms.key_fetches += 1
                self._answer(200, lms.jwks())
                return
            path, _, query = self.path.partition("?")
            token = self.headers.get("authorization", "").removeprefix("Bearer ")
            try:
                allowed = lms.config.validate_token(token, allowed_scopes=[NAMES_ROLES_SCOPE])
            except Exception as exc:  # the platform's own refusal, whatever it raised
                self._answer(401, {"error": str(exc)})
                return
            if not allowed or not path.startswith("/memberships/"):
                self._answer(403 if allowed is False else 404, {})
                return
            lms.roster_reads += 1
            members = lms.rosters.get(path.removeprefix("/memberships/"), [])
            start = int(dict(parse_qsl(query)).get("from", "0"))
            page = [_member(p) for p in members[start : start + PAGE]]
            more = start + PAGE < len(members)
            link = f'<{lms.base_url}{path}?from={start + PAGE}>; rel="next"' if more else None
            self._answer(200, {"id": path, "context": {"id": path}, "members": page}, link)

        def do_POST(self) -> None:  # the token endpoint, a line item's scores
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length).decode()
            if lms.down:
                lms.refused += 1
                self._answer(503, {"error": "down for maintenance"})
                return
            if self.path == "/token":
                try:
                    self._answer(200, dict(lms.config.get_access_token(dict(parse_qsl(body)))))
                except Exception as exc:  # the platform's own refusal, whatever it raised
                    self._answer(400, {"error": "invalid_client", "error_description": str(exc)})
                return
            token = self.headers.get("authorization", "").removeprefix("Bearer ")
            try:
                allowed = lms.config.validate_token(token, allowed_scopes=[SCORE_SCOPE])
            except Exception as exc:  # the platform's own refusal, whatever it raised
                self._answer(401, {"error": str(exc)})
                return
            lineitem = self.path.removesuffix("/scores")
            if (
                not allowed
                or not self.path.endswith("/scores")
                or self.headers.get("content-type") != SCORE_TYPE
            ):
                self._answer(403 if not allowed else 400, {})
                return
            score = json.loads(body)
            lms.score_posts.append((lineitem, score))
            held = lms.scores.get((lineitem, score["userId"]))
            if held is None or held["timestamp"] <= score["timestamp"]:  # the latest replaces
                lms.scores[(lineitem, score["userId"])] = score
            self._answer(200, {})

        def _answer(self, status: int, document: Any, link: str | None = None) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            if link:
                self.send_header("link", link)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    lms.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    lms.key_set_url = f"{lms.base_url}/jwks"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield lms
    finally:
        server.shutdown()
        server.server_close()


def _member(person: Person) -> dict[str, Any]:
    return {
        "user_id": person.subject,
        "roles": person.roles,
        "name": person.name,
        "email": person.email,
        "status": person.status,
    }
