"""What a client may add to how a program is built and run: compiler options from an allow-list
(optimisation, language standard, warnings, definitions, the common libraries — nothing that
loads a plugin, writes elsewhere or reads a file), for C and C++ only; and command-line arguments
for the program, bounded. One rule for the gateway (which refuses, naming the option) and the
grader (which checks again: the event is not validated on receipt)."""

import re
import shlex

COMPILED_WITH_OPTIONS = frozenset({"c", "cpp"})
# One pattern, for the check here and for the API's schema (ECMA and Python regex alike): -f
# options that reach outside the compile (plugins, profiles, dumps, prefixes) are excluded.
OPTION_PATTERN = (
    r"^-(?:O[0-3sgz]?|std=[a-z0-9+]+|W[A-Za-z0-9=_+-]*|w|pedantic(?:-errors)?|g[0-3]?"
    r"|D[A-Za-z_][A-Za-z0-9_]*(?:=[^\x00\n]*)?|U[A-Za-z_][A-Za-z0-9_]*"  # a macro's value: only text
    r"|l(?:m|pthread|rt)|pthread|march=native"
    r"|f(?!(?:no-)?(?:plugin|profile|dump|record|auto-profile|debug-prefix|file-prefix|macro-prefix|lto))"
    r"(?:no-)?[a-z][a-z0-9-]*)$"
)
_ALLOWED = re.compile(OPTION_PATTERN)
MAX_ARGS, MAX_ARG_CHARS = 64, 128  # so at most 8 KB in all


def compiler_options(language: str, options: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The options, each allowed for the language; ValueError naming the first that is not."""
    if options and language not in COMPILED_WITH_OPTIONS:
        raise ValueError(f"compiler options are taken for {', '.join(sorted(COMPILED_WITH_OPTIONS))} only")
    if len(options) > MAX_ARGS:
        raise ValueError(f"at most {MAX_ARGS} compiler options")
    for option in options:
        if not _ALLOWED.match(option):
            raise ValueError(f"compiler option not allowed: {option!r}")
    return tuple(options)


# `-x LANGUAGE` (Jobe compiles C with `-x c`): the languages it may name.
X_LANGUAGES = frozenset({"c", "c++", "none"})


def compiler_words(language: str, words: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Jobe's compileargs and linkargs (which replace its defaults): the options of the allow-list,
    `-x` and a language, and plain words, which the compiler reads as file names in the program's
    directory (a word naming no file there is the compiler's own error: a compilation error, as in
    Jobe); not `@file` (options read from a file would pass the allow-list). ValueError naming the
    first word refused."""
    arguments(words)  # bounded as a program's arguments are
    if words and language not in COMPILED_WITH_OPTIONS:
        raise ValueError(f"compiler arguments are taken for {', '.join(sorted(COMPILED_WITH_OPTIONS))} only")
    follows_x = False
    for word in words:
        if follows_x:
            if word not in X_LANGUAGES:
                raise ValueError(
                    f"compiler option -x takes one of {', '.join(sorted(X_LANGUAGES))}: {word!r}"
                )
            follows_x = False
        elif word == "-x":
            follows_x = True
        elif word.startswith(("-", "@")) and not _ALLOWED.match(word):
            raise ValueError(f"compiler option not allowed: {word!r}")
    if follows_x:
        raise ValueError("compiler option -x needs a language")
    return tuple(words)


def arguments(args: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The program's command-line arguments, bounded; ValueError otherwise."""
    if len(args) > MAX_ARGS:
        raise ValueError(f"at most {MAX_ARGS} arguments")
    for arg in args:
        if "\x00" in arg or len(arg) > MAX_ARG_CHARS:
            raise ValueError(
                f"argument not allowed (at most {MAX_ARG_CHARS} characters, no NUL): {arg[:40]!r}"
            )
    return tuple(args)


def split(text: str) -> list[str]:
    """Judge0's string of options or arguments, split as a shell would (no expansion)."""
    return shlex.split(text)
