"""The limits of a run, as one contract: each limit's name, default and bounds as data. The gateway's
API, the events, the grader and the Judge0-compatible API (in Judge0's names and units:
gateway/domain/judge0.py) all read them from here. Defaults and maxima follow Judge0's
(docs/grading.md)."""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class LimitSpec:
    name: str
    default: int | None  # None: derived (wall time: twice the CPU time plus 1 s)
    minimum: int
    maximum: int
    description: str

    def field(self, optional: bool = False) -> Any:
        """The limit as a pydantic field; `optional`: absent unless sent (a change)."""
        default = None if optional else self.default
        return Field(default=default, ge=self.minimum, le=self.maximum, description=self.description)


SPECS: dict[str, LimitSpec] = {
    spec.name: spec
    for spec in (
        LimitSpec("time_limit_ms", 2000, 100, 15_000, "CPU time per test"),
        LimitSpec(
            "wall_limit_ms", None, 100, 30_000, "wall time per test (default: twice the CPU time + 1 s)"
        ),
        LimitSpec("memory_limit_mb", 256, 16, 1024, "memory"),
        LimitSpec("max_processes", 16, 1, 64, "processes and threads"),
        LimitSpec("max_file_kb", 1024, 1, 4096, "size of a file written"),
        LimitSpec("stack_limit_mb", 64, 1, 128, "stack"),
        LimitSpec("max_output_kb", 64, 1, 4096, "output (stdout) per test"),
        # As Jobe's default; Judge0 has no such limit (isolate's disk quota is not in its API).
        LimitSpec(
            "disk_limit_mb", 20, 1, 512, "each place a run may write: /tmp, /dev/shm, its working directory"
        ),
    )
}


class RunLimits(BaseModel):
    """Every limit of a run, with its default and bounds; assignments, runs and their events
    carry these fields."""

    model_config = ConfigDict(frozen=True)

    time_limit_ms: int = SPECS["time_limit_ms"].field()
    wall_limit_ms: int | None = SPECS["wall_limit_ms"].field()
    memory_limit_mb: int = SPECS["memory_limit_mb"].field()
    max_processes: int = SPECS["max_processes"].field()
    max_file_kb: int = SPECS["max_file_kb"].field()
    stack_limit_mb: int = SPECS["stack_limit_mb"].field()
    max_output_kb: int = SPECS["max_output_kb"].field()
    disk_limit_mb: int = SPECS["disk_limit_mb"].field()


LIMIT_FIELDS: frozenset[str] = frozenset(RunLimits.model_fields)
