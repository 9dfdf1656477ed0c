"""`python -m gateway [serve|migrate]`."""

from pathlib import Path

from gateway.app import create_app
from gateway.settings import GatewaySettings
from gradeflow_shared.cli import service_cli

cli = service_cli(
    "gateway",
    GatewaySettings,
    create_app,
    Path(__file__).parent / "adapters" / "db" / "migrations",
)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
