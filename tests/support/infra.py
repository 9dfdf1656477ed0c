"""Test infrastructure: the scratch vhost and database of gradeflow_tools, under the tests' names."""

from gradeflow_tools.scratch import ROOT, Infra, management_url, migrations_of, provisioned_infra, rabbitmqctl

__all__ = ["ROOT", "Infra", "management_url", "migrations_of", "provisioned_infra", "rabbitmqctl"]
