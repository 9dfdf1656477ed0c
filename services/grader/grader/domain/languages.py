"""The languages the grader runs, as data: file names, compile and run commands (inside the
sandbox, where the submission's directory is /box), and how each reports running out of memory.
Run commands name /box absolutely: a checker runs in a per-test directory below it."""

import re
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Language:
    id: str
    name: str
    source_file: str
    run: tuple[str, ...]
    compile: tuple[str, ...] | None = None
    version_command: tuple[str, ...] = ()
    # Runtimes that reserve far more address space than they use (JVM, V8) cannot live under
    # RLIMIT_AS; their heap is capped by a flag instead and memory is judged on peak RSS.
    limit_address_space: bool = True
    memory_markers: tuple[str, ...] = ()
    # A run that failed with no traceback and whose stderr ends in one of these never started: the
    # source does not parse, a Compilation Error (for interpreters that parse when they run).
    parse_errors: tuple[str, ...] = ()
    # How an uncaught exception shows on stderr: it exits 1, which a checker must not pass off as
    # its "wrong answer".
    crash_markers: tuple[str, ...] = ()
    extra_processes: int = 0
    # Memory the runtime needs beyond the limit given to the program's heap (the sandbox's cgroup
    # holds the limit plus this): the JVM's metaspace and code, V8's young generation and buffers.
    cgroup_extra_mb: int = 32
    # A fork server for the tests (adapters/runner/zygote.py): started once per submission, forked
    # once per test; the interpreter's start-up is paid once instead of once per test.
    zygote: tuple[str, ...] | None = None
    env: dict[str, str] = field(default_factory=dict)
    # Compiled only when the program's files hold this one (a multi-file program's `compile`).
    compile_if: str | None = None


LANGUAGES: dict[str, Language] = {
    lang.id: lang
    for lang in (
        Language(
            id="python",
            name="Python 3",
            source_file="main.py",
            # No syntax check of its own (a sandbox and an interpreter start-up, about 20 ms): a source
            # that does not parse fails its run before running, as told by `parse_errors`.
            run=("/usr/bin/python3", "-I", "-S", "/box/main.py"),
            parse_errors=("SyntaxError:", "IndentationError:", "TabError:"),
            zygote=("/usr/bin/python3", "-I", "-S", "/.gradeflow-zygote.py", "/box/main.py"),
            version_command=("/usr/bin/python3", "--version"),
            memory_markers=("MemoryError",),
            crash_markers=("Traceback (most recent call last)",),
        ),
        Language(
            id="c",
            name="C (gcc)",
            source_file="main.c",
            compile=("/usr/bin/gcc", "-O2", "-std=gnu17", "-pipe", "-o", "main", "main.c", "-lm"),
            run=("/box/main",),
            version_command=("/usr/bin/gcc", "-dumpfullversion"),
        ),
        Language(
            id="cpp",
            name="C++ (g++)",
            source_file="main.cpp",
            compile=("/usr/bin/g++", "-O2", "-std=gnu++17", "-pipe", "-o", "main", "main.cpp"),
            run=("/box/main",),
            version_command=("/usr/bin/g++", "-dumpfullversion"),
            memory_markers=("std::bad_alloc",),
        ),
        Language(
            id="javascript",
            name="JavaScript (Node.js)",
            source_file="main.js",
            # A syntax check up front, as for Python: a syntax error is a Compilation Error.
            compile=("/usr/bin/node", "--check", "main.js"),
            run=("/usr/bin/node", "--max-old-space-size={memory_mb}", "--stack-size=65500", "/box/main.js"),
            version_command=("/usr/bin/node", "--version"),
            limit_address_space=False,
            memory_markers=("heap out of memory", "Allocation failed"),
            crash_markers=("\n    at ",),
            extra_processes=16,
            cgroup_extra_mb=128,
        ),
        Language(
            id="java",
            name="Java (OpenJDK)",
            source_file="Main.java",
            compile=("/usr/bin/javac", "-J-Xmx512m", "-J-XX:+UseSerialGC", "-encoding", "UTF-8", "Main.java"),
            run=(
                "/usr/bin/java",
                "-Xmx{memory_mb}m",
                "-Xss64m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Xshare:auto",
                "-cp",
                "/box",
                "Main",
            ),
            version_command=("/usr/bin/java", "-version"),
            limit_address_space=False,
            memory_markers=("OutOfMemoryError",),
            crash_markers=("Exception in thread",),
            extra_processes=32,
            cgroup_extra_mb=256,
        ),
        Language(
            id="multi",
            name="Multi-file program",
            # Judge0's language 89: the program is its files, a `compile` script (optional, run in
            # the box as the compiler is) and a `run` script, both bash; the source is not used.
            source_file="",
            compile=("/usr/bin/bash", "compile"),
            compile_if="compile",
            run=("/usr/bin/bash", "/box/run"),
            version_command=("/usr/bin/bash", "--version"),
            # Scripts start toolchains of every kind (a JVM among them): memory is bounded by the
            # sandbox's cgroup, not by an address-space limit.
            limit_address_space=False,
            extra_processes=16,
            cgroup_extra_mb=128,
        ),
    )
}


# Java names a file after its public class; a program whose public class is not Main (CodeRunner's
# and Jobe's Java programs often are) is written, compiled and run under its own name, as Jobe does.
_JAVA_PUBLIC_CLASS = re.compile(
    r"\bpublic\s+(?:(?:final|abstract|strictfp)\s+)*class\s+([A-Za-z_$][A-Za-z0-9_$]*)"
)

# Linear time whatever the source: an unterminated comment runs to the end in one match (a lazy
# `/\*.*?\*/` rescans the rest from every `/*`, quadratic in 64 KiB of them).
_JAVA_COMMENTS = re.compile(r"/\*.*?(?:\*/|\Z)|//[^\n]*", re.S)


def main_class(language_id: str, source: str) -> str | None:
    """The class a Java program names as public, when it is not Main; None otherwise."""
    if language_id != "java":
        return None
    found = _JAVA_PUBLIC_CLASS.search(_JAVA_COMMENTS.sub(" ", source))
    return found.group(1) if found and found.group(1) != "Main" else None


def language_for(language_id: str, main: str | None = None) -> Language:
    """The language's table entry, with Main renamed to `main` (a Java program's own class)."""
    language = LANGUAGES[language_id]
    if main is None:
        return language

    def renamed(argv: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if argv is None:
            return None
        return tuple({"Main.java": f"{main}.java", "Main": main}.get(a, a) for a in argv)

    return replace(
        language,
        source_file=f"{main}.java",
        compile=renamed(language.compile),
        run=renamed(language.run) or language.run,
        zygote=renamed(language.zygote),
    )


# Jobe's way (trampgeek/jobe, app/Libraries/*Task.php): the file a program is written as, the
# flags each task class compiles and runs with by default (a run's own compileargs, interpreterargs
# replace them, as in Jobe), and what it runs. A Python syntax error is a compilation error (Jobe
# runs py_compile first); Node.js is never compiled (its syntax error is a runtime error there).
JOBE_COMPILE_ARGS: dict[str, tuple[str, ...]] = {
    "c": ("-Wall", "-Werror", "-std=c99", "-x", "c"),
    "cpp": ("-Wall", "-Werror"),
}
JOBE_INTERPRETER_ARGS: dict[str, tuple[str, ...]] = {
    "python": ("-BE",),
    "javascript": ("--use_strict",),
    "java": ("-Xrs", "-Xss8m", "-Xmx200m"),
}
JOBE_FILE = {"c": "prog.c", "cpp": "prog.cpp", "python": "prog.py", "javascript": "prog.js"}
# Jobe runs a program in its job's directory, writable, among its files and what the compiler
# made; here it runs in a copy of its box on the test's /work (a size-capped tmpfs, gone with the
# test). SIGXFSZ ignored: output past the limit is cut off and the program goes on, as Jobe's
# runguard drops what is past its streamsize (a program printing forever runs out of time).
JOBE_SHELL = ("/bin/sh", "-c", "trap '' XFSZ; cp -R /box/. /work/ && cd /work && exec \"$@\"", "jobe")


@dataclass(frozen=True)
class JobeWay:
    """A run's Jobe parameters: its file name, and its argument lists where given (None: Jobe's
    defaults for the language)."""

    source_name: str | None = None
    compile_args: tuple[str, ...] | None = None
    link_args: tuple[str, ...] = ()
    interpreter_args: tuple[str, ...] | None = None


def jobe_language(language_id: str, main: str | None, way: JobeWay) -> Language:
    """The language as Jobe builds and runs it (Java: the file named after its public class)."""
    base = LANGUAGES[language_id]
    if language_id == "java":
        name = way.source_name or f"{main or 'Main'}.java"
    else:
        name = way.source_name or JOBE_FILE[language_id]
    cargs = way.compile_args if way.compile_args is not None else JOBE_COMPILE_ARGS.get(language_id, ())
    iargs = tuple(  # the run's arguments are formatted ({memory_mb}): the client's kept as given
        a.replace("{", "{{").replace("}", "}}")
        for a in (
            way.interpreter_args
            if way.interpreter_args is not None
            else JOBE_INTERPRETER_ARGS.get(language_id, ())
        )
    )
    compile_: tuple[str, ...] | None
    if language_id in ("c", "cpp"):
        compiler = "/usr/bin/gcc" if language_id == "c" else "/usr/bin/g++"
        compile_ = (compiler, *cargs, "-o", f"{name}.exe", name, *way.link_args)
        run: tuple[str, ...] = (f"./{name}.exe", *iargs)
    elif language_id == "python":
        # Jobe checks the syntax with py_compile first; here a run that fails on a syntax error
        # before it starts is the same compilation error (Language.parse_errors), one sandbox fewer.
        compile_ = None
        run = ("/usr/bin/python3", *iargs, name)
    elif language_id == "javascript":
        compile_ = None
        run = ("/usr/bin/node", "--max-old-space-size={memory_mb}", *iargs, name)
    else:  # java
        compile_ = ("/usr/bin/javac", "-J-Xmx512m", "-J-XX:+UseSerialGC", "-encoding", "UTF-8", *cargs, name)
        run = ("/usr/bin/java", *iargs, name.rsplit(".", 1)[0])
    return replace(base, source_file=name, compile=compile_, run=(*JOBE_SHELL, *run), zygote=None)


def language_of(language_id: str, main: str | None, jobe: JobeWay | None) -> Language:
    """A build's language: Jobe's way when asked, else this system's (language_for)."""
    return jobe_language(language_id, main, jobe) if jobe else language_for(language_id, main)
