"""Jobe's vocabulary, pure: a run_spec checked with Jobe's messages, its parameters in Jobe's units
clamped to this system's limits, and how a run's ending reads as a Jobe outcome."""

import json
import signal

import pytest

from gateway.domain import jobe


def _spec(**run_spec: object) -> bytes:
    return json.dumps({"run_spec": run_spec}).encode()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", "Non-JSON post data received"),
        (b'{"nope": 1}', "No run_spec attribute found in post data"),
        (_spec(language_id="python3"), "run_spec is missing the required attribute 'sourcecode'"),
        (_spec(sourcecode="x", language_id="cobol"), "Language 'cobol' is not known"),
        (
            _spec(sourcecode="x", language_id="c", sourcefilename="../a.c"),
            "sourcefilename for the run_spec is illegal",
        ),
        (_spec(sourcecode="x", language_id="c", file_list=[["short", "a.txt"]]), "Invalid file specifier"),
        (
            _spec(sourcecode="x", language_id="c", file_list=[["abcdefgh12", "../a"]]),
            "Invalid file specifier",
        ),
    ],
)
def test_a_bad_run_spec_gets_jobes_message(raw: bytes, message: str) -> None:
    with pytest.raises(jobe.BadRunSpec, match=message.replace("(", r"\(")):
        jobe.parse_run_spec(raw)


def test_a_good_run_spec_is_normalised() -> None:
    spec = jobe.parse_run_spec(
        _spec(sourcecode="x", language_id="Python3", file_list=[["abcdefgh12", "data.txt"]])
    )
    assert spec["language_id"] == "python3" and spec["file_list"] == [["abcdefgh12", "data.txt"]]


def test_parameters_over_jobes_defaults_are_clamped_to_this_systems_limits() -> None:
    assert jobe.limits("c", {"cputime": 3, "memorylimit": 200, "streamsize": 0.5}) == {
        "time_limit_ms": 3000,
        "memory_limit_mb": 200,
        "max_output_kb": 500,
        "disk_limit_mb": 20,
        "max_processes": 30,
        "wall_limit_ms": 6000,
    }
    # Jobe's defaults: 5 s, 400 MB (Python 1000), 2 MB of output, 30 processes (Java 256: here the
    # maximum), Java's memory left to its -Xmx.
    c = jobe.limits("c", {})
    assert (c["time_limit_ms"], c["memory_limit_mb"], c["max_output_kb"]) == (5000, 400, 2000)
    assert jobe.limits("python3", {})["memory_limit_mb"] == 1000
    assert jobe.limits("java", {"memorylimit": 100})["memory_limit_mb"] == 1024
    assert jobe.limits("java", {})["max_processes"] == 64
    assert jobe.limits("c", {"memorylimit": 0})["memory_limit_mb"] == 1024, "0: the maximum"
    # Not a number: Jobe's default, as Jobe takes it.
    assert jobe.limits("c", {"cputime": "5; rm -rf /", "unknown": 1})["time_limit_ms"] == 5000


def test_a_cputime_over_the_maximum_is_jobes_400() -> None:
    with pytest.raises(
        jobe.BadRunSpec, match=r"cputime exceeds maximum allowed on this Jobe server \(15 secs\)"
    ):
        jobe.parse_run_spec(_spec(sourcecode="x", language_id="c", parameters={"cputime": 151}))
    assert jobe.parse_run_spec(_spec(sourcecode="x", language_id="c", parameters={"cputime": 15.9}))


def test_argument_lists_are_split_as_jobes_shell_splits_them() -> None:
    python = jobe.arguments(
        "python3", {"interpreterargs": [r'-c "print(\"Blah\")"'], "runargs": ["a b", "c"]}
    )
    assert python == {
        "args": ["a", "b", "c"],
        "compile_args": None,
        "link_options": [],
        "interpreter_args": ["-c", 'print("Blah")'],
    }
    c = jobe.arguments("c", {"compileargs": ["-Wall", "-x c", "std=c89"], "linkargs": ["-lm"]})
    assert (c["compile_args"], c["link_options"], c["interpreter_args"]) == (
        ["-Wall", "-x", "c", "std=c89"],
        ["-lm"],
        None,
    )
    assert jobe.arguments("python3", {"compileargs": ["-O2"]})["compile_args"] is None, "ignored, as Jobe"
    for bad in ({"runargs": "x"}, {"runargs": ['"open']}, {"compileargs": ["-O2"]}):
        with pytest.raises(jobe.BadRunSpec):
            jobe.arguments("java", bad)


def test_output_that_is_not_utf8_is_escaped_byte_by_byte_as_jobe_does() -> None:
    assert jobe.clean(b"Hello world\n\x01\x06\xc0\xc9\n") == "Hello world\n\\x01\\x06\\xc0\\xc9\n"
    assert jobe.clean("Un rôle\t\x01\n".encode()) == "Un rôle\t\x01\n", "UTF-8 stays as it is"


@pytest.mark.parametrize(
    ("verdict", "sig", "stderr", "outcome"),
    [
        ("accepted", None, "", 15),
        ("accepted", None, "warning\n", 12),  # Jobe: stderr is a runtime error
        ("runtime_error", signal.SIGSEGV, "", 12),
        ("runtime_error", signal.SIGSYS, "", 19),
        ("time_limit_exceeded", None, "", 13),
        ("memory_limit_exceeded", None, "", 17),
        ("compilation_error", None, "", 11),
        ("output_limit_exceeded", None, "", 12),  # not from a Jobe run: its output is cut off
        ("internal_error", None, "", 20),
    ],
)
def test_a_runs_ending_reads_as_jobes_outcome(
    verdict: str, sig: int | None, stderr: str, outcome: int
) -> None:
    assert jobe.outcome(verdict, sig, stderr) == outcome
