"""Gradeflow notifier: fans grades and course events out to students, teachers and parents."""
