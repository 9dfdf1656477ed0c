# One task runner. `make run` starts the system, `make test` runs the whole suite.
export UV_PYTHON_DOWNLOADS := never
UV ?= uv
DASHBOARD := services/metrics/metrics/dashboard

.PHONY: install run demo test test-fast test-unit lint format bench bench-regrade bench-soak bench-capacity bench-scale-heavy bench-pipeline bench-gateway bench-consumers bench-units bench-versus bench-grader bench-jobe bench-fanout bench-live bench-results-live migrate clean

# What `run` and `test` need: the Python packages, and (as root, on Debian/Ubuntu) RabbitMQ,
# PostgreSQL and Redis (installed and started where none answers), the grader's sandbox and
# toolchains; each step installs only what is missing.
install:
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --all-packages --compile-bytecode
	@# The project's own packages too (editable: outside site-packages). Compiled once here, since a
	@# shell with PYTHONDONTWRITEBYTECODE set would otherwise compile every module in every process
	@# it starts: seconds of CPU for each service a test starts.
	@$(UV) run --frozen python -m compileall -q -j 0 shared services tools bench >/dev/null
	@# The dashboard's charting library (chart.js), from the npm registry, at the locked version.
	@test -f $(DASHBOARD)/node_modules/chart.js/dist/chart.umd.min.js || npm ci --prefix $(DASHBOARD) --no-audit --no-fund --silent
	@if [ "$$(id -u)" = 0 ]; then bash scripts/install-services.sh && bash scripts/install-toolchains.sh; \
	else echo "not root: skipping the servers, the sandbox and toolchains (as root: bash scripts/install-services.sh; bash scripts/install-toolchains.sh)"; fi

run: install
	$(UV) run --frozen gradeflow-run

demo:
	$(UV) run --frozen gradeflow-demo

migrate: install
	$(UV) run --frozen gradeflow-run --migrate-only

# In parallel workers (pytest-xdist), a test file or package to a worker; each worker past the
# first runs a RabbitMQ node of its own (tests/conftest.py).
TEST_WORKERS ?= 2
test: install
	$(UV) run --frozen pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

test-fast: install
	$(UV) run --frozen pytest -m "not e2e"

test-unit: install
	$(UV) run --frozen pytest -m "not e2e and not integration"

lint: install
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen ruff check .
	$(UV) run --frozen lint-imports
	$(UV) run --frozen mypy shared services tools

format: install
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

# The scale-out on CPU-bound grading (about a second of computing a submission).
SCALE_HEAVY = $(UV) run --frozen python -m bench.pipeline --submissions 80 --graders 2 --grader-concurrency 1 --scale --workload cpu-heavy --out-name pipeline-scale-heavy.json

# The current code against an earlier commit (a worktree beside this one), in one run: end to end,
# the gateway under k6, the fan-out (bench/versus.py).
BASELINE ?= 08ff91f
bench-versus: install
	$(UV) run --frozen python -m bench.versus --baseline $(BASELINE)

# Every benchmark, one after another (under 10 minutes), then docs/benchmarks.md regenerated from
# bench/results/*.json with its plots (bench/report.py).
bench: install
	$(UV) run --frozen python -m bench.pipeline --submissions 600 --clients 20
	$(UV) run --frozen python -m bench.pipeline --submissions 240 --graders 2 --grader-concurrency 1 --scale --workload cpu --out-name pipeline-scale.json
	$(SCALE_HEAVY)
	$(UV) run --frozen python -m bench.gateway --stage 12s
	$(UV) run --frozen python -m bench.consumers --messages 10000
	$(UV) run --frozen python -m bench.grader --baseline "" --runs 120 --submissions 24
	$(UV) run --frozen python -m bench.jobe --window 10
	$(UV) run --frozen python -m bench.units
	$(UV) run --frozen python -m bench.regrade --seconds 60
	$(UV) run --frozen python -m bench.capacity
	$(UV) run --frozen python -m bench.report

# An hour at a steady 25 submissions/s, grading live, every service's memory sampled
# (bench/results/soak.json).
# 10,000 submissions regraded while live ones arrive at 5/s, beside the live load alone.
bench-regrade: install
	$(UV) run --frozen python -m bench.regrade

bench-soak: install
	$(UV) run --frozen python -m bench.soak --minutes 60 --rate 25

# The capacity model for 30,000 students from the figures in bench/results (docs/scaling.md).
bench-capacity: install
	$(UV) run --frozen python -m bench.capacity

# The CPU-bound scale-out alone.
bench-scale-heavy: install
	$(SCALE_HEAVY)

bench-pipeline: install
	$(UV) run --frozen python -m bench.pipeline

bench-gateway: install
	$(UV) run --frozen python -m bench.gateway

bench-consumers: install
	$(UV) run --frozen python -m bench.consumers

bench-units: install
	$(UV) run --frozen python -m bench.units

bench-grader: install
	$(UV) run --frozen python -m bench.grader

# A course of 10,000 then 100,000 imported as a roster, one event for them all: inbox rows and
# emails into a local SMTP sink (bench/results/fanout.json).
# Jobe's --perf method through the Jobe API: bursts, then steady rates, in five languages (bench/jobe.py).
bench-jobe: install
	$(UV) run --frozen python -m bench.jobe

bench-fanout: install
	$(UV) run --frozen python -m bench.fanout

# 1,000 live inbox streams (SSE) held open through one gateway process; one course event: how long
# until every stream had it, and the memory it takes (bench/results/live.json).
bench-live: install
	$(UV) run --frozen python -m bench.live

# 1,000 students following their own submission's result over SSE through one gateway process
# (bench/results/results-live.json).
bench-results-live: install
	$(UV) run --frozen python -m bench.results_live

clean:
	rm -rf .run .pytest_cache .mypy_cache .ruff_cache
