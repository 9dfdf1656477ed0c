"""`python -m metrics [serve|migrate|dlq]`."""

from gradeflow_shared.cli import service_cli
from metrics.app import create_app
from metrics.cli_dlq import dlq
from metrics.settings import MetricsSettings

main = service_cli("metrics", MetricsSettings, create_app)

main.add_typer(dlq, name="dlq")

if __name__ == "__main__":
    main()
