"""`python -m grader [serve|migrate]`."""

from gradeflow_shared.cli import service_cli
from grader.app import create_app
from grader.settings import GraderSettings

main = service_cli("grader", GraderSettings, create_app)

if __name__ == "__main__":
    main()
