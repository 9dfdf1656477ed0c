"""A Java program is written, compiled and run under its public class's name (as Jobe does);
every other language, and a Java program whose class is Main, keeps the table's commands."""

from grader.domain.languages import LANGUAGES, language_for, main_class


def test_a_java_programs_public_class_names_its_file_and_its_run() -> None:
    source = "import java.util.*;\n// public class Commented\n/* public class Blocked */\npublic final class Prog { }"
    assert main_class("java", "public class Main {}") is None
    assert main_class("python", "public class Prog") is None
    assert main_class("java", source) == "Prog", "comments are not the program"
    java = language_for("java", "Prog")
    assert java.source_file == "Prog.java" and "Prog.java" in (java.compile or ())
    assert java.run[-1] == "Prog" and "Main" not in java.run
    assert language_for("java") is LANGUAGES["java"]


def test_an_unterminated_comment_hides_the_rest_and_costs_one_pass() -> None:
    """`/*` that never closes comments out the rest (javac would refuse it); 64 KiB of them are one
    match, not a rescan from each (the grader's event loop stalled on five such runs)."""
    assert main_class("java", "public class Prog {} /* public class Other") == "Prog"
    assert main_class("java", "/* public class Other") is None
    assert main_class("java", "/*" * 32768 + "public class Late {}") is None
