"""The import contracts cover every module of each service: a module left out of its service's
`layers` contract could import anything (tests of the contracts themselves are lint-imports')."""

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SERVICES = ("gateway", "grader", "notifier", "metrics")


@pytest.mark.parametrize("service", SERVICES)
def test_every_module_of_a_service_is_in_its_layers_contract(service: str) -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    [layers] = [c["layers"] for c in contracts if c["type"] == "layers" and c["name"] == f"{service} layers"]
    package = ROOT / "services" / service / service
    modules = {
        f"{service}.{path.stem}"
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert modules == set(layers), f"left out: {modules - set(layers)}; not a module: {set(layers) - modules}"
