"""`python -m gateway [serve|migrate]`."""

from gateway.app import create_app
from gateway.settings import GatewaySettings
from gradeflow_shared.cli import service_cli

main = service_cli("gateway", GatewaySettings, create_app)

if __name__ == "__main__":
    main()
