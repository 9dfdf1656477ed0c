"""`python -m grader [serve|migrate]`."""

from pathlib import Path

from gradeflow_shared.cli import service_cli
from grader.app import create_app
from grader.settings import GraderSettings

cli = service_cli(
    "grader",
    GraderSettings,
    create_app,
    Path(__file__).parent / "adapters" / "db" / "migrations",
)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
