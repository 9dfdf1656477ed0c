"""`python -m notifier [serve|migrate]`."""

from pathlib import Path

from gradeflow_shared.cli import service_cli
from notifier.app import create_app
from notifier.settings import NotifierSettings

cli = service_cli(
    "notifier",
    NotifierSettings,
    create_app,
    Path(__file__).parent / "adapters" / "db" / "migrations",
)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
