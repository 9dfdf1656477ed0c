"""Compiler options from an allow-list, for C and C++ only, and bounded program arguments: what a
client may add to how its program is built and run, and nothing that reaches outside."""

import pytest

from gradeflow_shared.program_args import arguments, compiler_options, split


@pytest.mark.parametrize(
    "options",
    [
        ["-O2"],
        ["-std=c11", "-Wall", "-Wextra", "-Werror"],
        ['-DNAME="x y"', "-UDEBUG"],
        ["-lm", "-lpthread"],
        ["-g", "-fno-strict-aliasing"],
    ],
)
def test_the_options_a_course_uses_are_taken(options: list[str]) -> None:
    assert compiler_options("c", options) == tuple(options)


@pytest.mark.parametrize(
    "option",
    [
        "-fplugin=/tmp/x.so",
        "-o",
        "/etc/passwd",
        "-B/tmp",
        "-wrapper",
        "-specs=x",
        "@file",
        "-fprofile-generate",
        "-Wl,-rpath=/x",
        "-I/etc",
        "-include",
        "-x",
    ],
)
def test_an_option_that_reaches_outside_the_compile_is_refused(option: str) -> None:
    with pytest.raises(ValueError, match="not allowed"):
        compiler_options("cpp", [option])


def test_options_are_for_c_and_cpp_and_arguments_are_bounded() -> None:
    with pytest.raises(ValueError, match="c, cpp only"):
        compiler_options("python", ["-O2"])
    assert split("'two words' -n 3") == ["two words", "-n", "3"]
    assert arguments(["a", "b"]) == ("a", "b")
    with pytest.raises(ValueError):
        arguments(["x"] * 65)
    with pytest.raises(ValueError):
        arguments(["nul\x00"])
