"""`python -m notifier [serve|migrate]`."""

from gradeflow_shared.cli import service_cli
from notifier.app import create_app
from notifier.settings import NotifierSettings

main = service_cli("notifier", NotifierSettings, create_app)

if __name__ == "__main__":
    main()
