"""Gradeflow gateway: the public HTTP API."""
