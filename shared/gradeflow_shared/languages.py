"""The languages of the system, as one contract: the id the gateway accepts and the grader runs, and
the file its program is written to. The grader's own table (how to compile and run each) must cover
exactly these ids; the Judge0-compatible API's ids and names are the gateway's (domain/judge0.py)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class LanguageRef:
    id: str
    source_file: str  # the file the program is written to (the grader's own table must agree)


REFS: tuple[LanguageRef, ...] = (
    LanguageRef("c", "main.c"),
    LanguageRef("cpp", "main.cpp"),
    LanguageRef("java", "Main.java"),
    LanguageRef("javascript", "main.js"),
    LanguageRef("python", "main.py"),
)

LANGUAGES: frozenset[str] = frozenset(ref.id for ref in REFS)
BY_ID: dict[str, LanguageRef] = {ref.id: ref for ref in REFS}
