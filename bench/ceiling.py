"""The machine's own scale-out ceiling for CPU-bound Python: the loop the CPU-bound solutions run
(bench/pipeline.py --workload cpu), in bare processes — one alone, then two at once — `pairs` times
in turn; two's throughput over one's. On a virtual machine two vCPUs need not be two cores' worth:
the figure says what the hardware gave, beside what two graders made of it.

    uv run python -m bench.ceiling [--pairs 8]
"""

import json
import multiprocessing
import statistics
import time

import typer

STEPS = 8_000_000  # about half a second of the AMD EPYC's time


def _loop(steps: int) -> float:
    started = time.perf_counter()
    total = 0
    for i in range(steps):
        total += i
    return time.perf_counter() - started


def measure(pairs: int = 8, steps: int = STEPS) -> dict[str, float | int]:
    ratios = []
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_loop, [steps // 10] * 2, chunksize=1)  # both workers started and warm
        for _ in range(pairs):
            one = pool.apply(_loop, (steps,))
            two = max(pool.map(_loop, [steps, steps], chunksize=1))
            ratios.append(2 * one / two)
    quartiles = statistics.quantiles(ratios, n=4)
    return {
        "pairs": pairs,
        "median": round(statistics.median(ratios), 3),
        "q1": round(quartiles[0], 3),
        "q3": round(quartiles[2], 3),
    }


def main(pairs: int = typer.Option(8)) -> None:
    print(json.dumps(measure(pairs), indent=2))


if __name__ == "__main__":
    typer.run(main)
