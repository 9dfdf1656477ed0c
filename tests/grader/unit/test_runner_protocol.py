"""The runner's protocol round-trips: what the grader encodes is what the runner reads, and what
the runner reports is what the grader decodes; its exit codes reach the C side as flags."""

from grader.adapters.runner import protocol
from grader.adapters.runner.protocol import Report, RunnerLimits, TestIO, decode_tests, encode_tests
from grader.adapters.sandbox import RUNNER_SOURCE


def test_limits_round_trip() -> None:
    limits = RunnerLimits(2000, 5000, 268_435_456, 19, 1_048_576, 67_108_864, 20_971_520)
    assert RunnerLimits.decode(limits.encode()) == limits
    assert limits.encode() == "2000,5000,268435456,19,1048576,67108864,20971520"


def test_tests_round_trip_with_and_without_a_directory() -> None:
    tests = [TestIO(5, 6, 7), TestIO(8, 9, 10, "t1")]
    assert encode_tests(tests) == "5,6,7;8,9,10,t1"
    assert decode_tests(encode_tests(tests)) == tests


def test_a_report_line_round_trips() -> None:
    report = Report(status=9, maxrss_kb=1234, cpu_us=5678, wall_us=91011, timed_out=True)
    assert Report.decode(report.encode()) == report
    assert Report.decode("256 10 20 30 0") == Report(256, 10, 20, 30, False)


def test_the_runner_takes_its_exit_codes_from_the_protocol() -> None:
    source = RUNNER_SOURCE.read_text()
    for name in protocol.EXIT_CODES:
        assert name in source
    assert not any(str(code) in source for code in protocol.EXIT_CODES.values()), "no literal exit code in C"
    flags = protocol.compile_flags()
    assert "-DEXIT_USAGE=125" in flags and len(flags) == len(protocol.EXIT_CODES)
    fds = protocol.SandboxFds(seccomp=11, cpu=12)
    argv = protocol.argv(
        "/r", 3, RunnerLimits(1, 2, 0, 4, 5, 6, 7), [TestIO(7, 8, 9)], True, ["/bin/true"], fds
    )
    assert argv == ["/r", "11", "12", "3", "1,2,0,4,5,6,7", "7,8,9", "--zygote", "--", "/bin/true"]


def test_a_job_for_a_ready_runner_names_its_descriptors_by_place() -> None:
    limits = RunnerLimits(1, 2, 0, 4, 5, 6, 7)
    tests = [TestIO(20, 21, 22), TestIO(30, 31, 32)]
    message, fds = protocol.job(9, limits, tests, True, ["/usr/bin/python3", "/box/main.py"])
    assert fds == [9, 20, 21, 22, 30, 31, 32]
    args = protocol.decode_job(message)
    assert args == ["0", "1,2,0,4,5,6,7", "1,2,3;4,5,6", "--zygote", "--", "/usr/bin/python3", "/box/main.py"]
    assert protocol.serve_argv("/r", 3) == ["/r", "-1", "-1", "--serve", "3"]
