"""Gradeflow grader: runs student code in a sandbox against the assignment's tests."""
