"""Language identifiers the gateway accepts and the grader runs: a contract between the two."""

LANGUAGES: frozenset[str] = frozenset({"python", "c", "cpp", "javascript", "java"})
