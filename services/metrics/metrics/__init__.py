"""Gradeflow metrics: measures every queue, scores its health and raises alerts."""
