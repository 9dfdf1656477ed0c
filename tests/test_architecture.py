"""Service boundaries are mechanical: every import-linter contract in pyproject.toml holds (no
service imports another, the common library imports no service, each service's layers), and the
linter does catch a broken one."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINTER = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")


def _contracts(pyproject: Path) -> list[dict[str, object]]:
    contracts: list[dict[str, object]] = tomllib.loads(pyproject.read_text())["tool"]["importlinter"][
        "contracts"
    ]
    return contracts


def test_every_import_contract_is_kept() -> None:
    contracts = _contracts(ROOT / "pyproject.toml")
    layered = {c["name"] for c in contracts if c["type"] == "layers"}
    assert layered == {f"{s} layers" for s in ("gateway", "grader", "notifier", "metrics")}
    result = subprocess.run([LINTER], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(contracts)} kept, 0 broken" in result.stdout


def test_a_handler_importing_an_adapter_breaks_a_contract(tmp_path: Path) -> None:
    """The same contracts over a copy of the gateway whose handler reaches the database itself."""
    copy = tmp_path / "gateway"
    shutil.copytree(ROOT / "services" / "gateway" / "gateway", copy)
    routes = copy / "handlers" / "http" / "routes.py"
    routes.write_text("from gateway.adapters.db.repositories import SqlGatewayStore\n" + routes.read_text())
    config = tmp_path / ".importlinter"
    config.write_text(
        "[importlinter]\nroot_package = gateway\n\n"
        "[importlinter:contract:layers]\nname = gateway layers\ntype = layers\n"
        "layers =\n    gateway.app\n    gateway.handlers\n    gateway.usecases\n    gateway.adapters\n    gateway.domain\n\n"
        "[importlinter:contract:handlers]\nname = handlers reach adapters only through use cases\ntype = forbidden\n"
        "source_modules = gateway.handlers\nforbidden_modules = gateway.adapters\n"
    )
    result = subprocess.run(
        [LINTER, "--config", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0 and "1 kept, 1 broken" in result.stdout, result.stdout + result.stderr
