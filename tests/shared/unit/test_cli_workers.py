"""Several HTTP worker processes: each builds the service through `worker_app`, which finds the
service's own factory from what `serve` left in its environment."""

import pytest
from fastapi import FastAPI

from gradeflow_shared import cli
from gradeflow_shared.settings import ServiceSettings

BUILT: list[FastAPI] = []


def make_app() -> FastAPI:
    app = FastAPI(title="built by the worker")
    BUILT.append(app)
    return app


def test_a_worker_builds_the_services_own_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli._APP_ENV, f"gateway:{__name__}:make_app")
    app = cli.worker_app()
    assert app.title == "built by the worker" and [app] == BUILT


def test_workers_are_a_setting_with_bounds() -> None:
    url = "postgresql+asyncpg://u:p@h/db"
    assert ServiceSettings(environment="development", database_url=url).http_workers == 1
    assert ServiceSettings(environment="development", database_url=url, http_workers=4).http_workers == 4
    with pytest.raises(ValueError, match="http_workers"):
        ServiceSettings(environment="development", database_url=url, http_workers=0)
