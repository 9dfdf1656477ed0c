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


def test_parameters_are_clamped_to_this_systems_limits() -> None:
    assert jobe.limits({"cputime": 3, "memorylimit": 200, "streamsize": 0.5}) == {
        "time_limit_ms": 3000,
        "memory_limit_mb": 200,
        "max_output_kb": 500,
        "wall_limit_ms": 6000,
    }
    assert jobe.limits({"cputime": 999, "memorylimit": 0})["memory_limit_mb"] == 1024, "0: the maximum"
    assert jobe.limits({"cputime": 999})["time_limit_ms"] == 15_000
    assert jobe.limits({"unknown": 1, "compileargs": ["-O2"]}) == {}
    with pytest.raises(jobe.BadRunSpec, match="cputime"):
        jobe.limits({"cputime": "5; rm -rf /"})


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
        ("output_limit_exceeded", None, "", 12),
        ("internal_error", None, "", 20),
    ],
)
def test_a_runs_ending_reads_as_jobes_outcome(
    verdict: str, sig: int | None, stderr: str, outcome: int
) -> None:
    assert jobe.outcome(verdict, sig, stderr) == outcome
