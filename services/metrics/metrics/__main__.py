"""`python -m metrics [serve|migrate]`."""

from pathlib import Path

from gradeflow_shared.cli import service_cli
from metrics.app import create_app
from metrics.cli_dlq import dlq
from metrics.settings import MetricsSettings

cli = service_cli(
    "metrics",
    MetricsSettings,
    create_app,
    Path(__file__).parent / "adapters" / "db" / "migrations",
)

cli.add_typer(dlq, name="dlq")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
