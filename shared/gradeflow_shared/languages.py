"""The languages of the system, as one contract: the id the gateway accepts and the grader runs,
and the Judge0 CE id and name the Judge0-compatible API shows for it (existing clients keep their
ids). The grader's own table (how to compile and run each) must cover exactly these ids."""

from dataclasses import dataclass


@dataclass(frozen=True)
class LanguageRef:
    id: str
    judge0_id: int
    judge0_name: str
    source_file: str  # the file the program is written to (the grader's own table must agree)


REFS: tuple[LanguageRef, ...] = (
    LanguageRef("c", 50, "C (GCC)", "main.c"),
    LanguageRef("cpp", 54, "C++ (GCC)", "main.cpp"),
    LanguageRef("java", 62, "Java (OpenJDK)", "Main.java"),
    LanguageRef("javascript", 63, "JavaScript (Node.js)", "main.js"),
    LanguageRef("python", 71, "Python (3)", "main.py"),
)

LANGUAGES: frozenset[str] = frozenset(ref.id for ref in REFS)
BY_JUDGE0_ID: dict[int, LanguageRef] = {ref.judge0_id: ref for ref in REFS}
BY_ID: dict[str, LanguageRef] = {ref.id: ref for ref in REFS}
