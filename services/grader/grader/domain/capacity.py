"""How much memory a grader needs for its sandbox slots: the formula the manifests' limits and
the start-up check both follow (docs/scaling.md)."""

from gradeflow_shared.limits import SPECS
from grader.domain.languages import LANGUAGES

# The grader process itself, its fork servers and the runner's buffers, with room to spare: it
# sits at about 120 MB idle and 200 MB grading (docs/benchmarks.md, memory).
SERVICE_MB = 320
# A compilation's cgroup bound (adapters/sandbox.py COMPILE_LIMITS): a slot compiles, then runs.
COMPILE_MB = 1024


def slot_mb() -> int:
    """The most one sandbox slot may hold: the largest memory limit an assignment or run may set,
    plus the largest allowance a language's runtime gets beside it (the JVM's), or a compilation."""
    largest = SPECS["memory_limit_mb"].maximum + max(lang.cgroup_extra_mb for lang in LANGUAGES.values())
    return max(largest, COMPILE_MB)


def memory_needed_mb(concurrency: int) -> int:
    """The container memory under which no slot can push the grader out of its limit."""
    return SERVICE_MB + concurrency * slot_mb()


def memory_shortfall(concurrency: int, limit_bytes: int | None) -> str | None:
    """Why `limit_bytes` cannot hold `concurrency` slots at their worst, or None if it can."""
    if limit_bytes is None:
        return None
    needed = memory_needed_mb(concurrency)
    have = limit_bytes // (1024 * 1024)
    if have >= needed:
        return None
    return (
        f"CONCURRENCY={concurrency} needs {needed} MiB ({SERVICE_MB} for the grader + {concurrency} x "
        f"{slot_mb()} for a slot at the largest limits), the container has {have} MiB: a run at its "
        f"limit would get the whole grader killed. Raise the memory limit or lower CONCURRENCY "
        f"(at most {max(0, (have - SERVICE_MB) // slot_mb())} here)"
    )
