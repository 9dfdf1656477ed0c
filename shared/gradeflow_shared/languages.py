"""The languages of the system, as one contract: the id the gateway accepts and the grader runs, and
the file its program is written to. The grader's own table (how to compile and run each) must cover
exactly these ids; the Judge0-compatible API's ids and names are the gateway's (domain/judge0.py)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class LanguageRef:
    id: str
    source_file: str  # the file the program is written to (the grader's own table must agree)
    # A program that is its files (Judge0's multi-file programs: `compile` and `run` scripts): for
    # runs only, never an assignment's language.
    files_only: bool = False


MULTI = "multi"  # Judge0's multi-file programs
REFS: tuple[LanguageRef, ...] = (
    LanguageRef("c", "main.c"),
    LanguageRef("cpp", "main.cpp"),
    LanguageRef("java", "Main.java"),
    LanguageRef("javascript", "main.js"),
    LanguageRef("python", "main.py"),
    LanguageRef(MULTI, "", files_only=True),
)

LANGUAGES: frozenset[str] = frozenset(ref.id for ref in REFS)
GRADED: frozenset[str] = frozenset(ref.id for ref in REFS if not ref.files_only)  # an assignment's
BY_ID: dict[str, LanguageRef] = {ref.id: ref for ref in REFS}
