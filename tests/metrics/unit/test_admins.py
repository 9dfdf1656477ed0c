"""Operations are for admins: the stats and dead-letter routes refuse a caller without a token
(401) and one whose token does not carry the admin role (403), before any work."""

import uuid

import httpx
import pytest

from gradeflow_shared.auth import Tokens
from metrics.app import create_app
from metrics.settings import MetricsSettings
from tests.support.fakes import RecordingPublisher

SECRET = "unit-test-secret-0123456789abcdef"


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/queues"), ("GET", "/v1/dead-letters/grader.submissions"),
                                              ("POST", "/v1/dead-letters/grader.submissions/replay"),
                                              ("DELETE", "/v1/dead-letters/grader.submissions"),
                                              ("GET", "/v1/queues/grader.submissions"),
                                              ("GET", "/v1/queues/grader.submissions/timings"),
                                              ("GET", "/v1/history"), ("GET", "/v1/performance"),
                                              ("GET", "/v1/alerts")])  # fmt: skip
async def test_operations_need_an_admins_token(method: str, path: str) -> None:
    settings = MetricsSettings(
        database_url="postgresql+asyncpg://metrics:unused@127.0.0.1:1/none",
        environment="test",
        auth_secret=SECRET,
    )
    app = create_app(settings, publisher=RecordingPublisher())
    tokens = Tokens(SECRET)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.request(method, path)).status_code == 401
        user = {"Authorization": f"Bearer {tokens.issue(uuid.uuid4())}"}
        refused = await client.request(method, path, headers=user)
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
        forged = {
            "Authorization": f"Bearer {Tokens('another-secret-0123456789abcdef0').issue(uuid.uuid4(), admin=True)}"
        }
        assert (await client.request(method, path, headers=forged)).status_code == 401
    assert tokens.caller(tokens.issue(uuid.uuid4(), admin=True)).admin
