"""Test infrastructure: the scratch vhost and database of gradeflow_tools, under the tests' names."""

from gradeflow_tools.scratch import ROOT, Infra, migrations_of, provisioned_infra

__all__ = ["ROOT", "Infra", "migrations_of", "provisioned_infra"]
