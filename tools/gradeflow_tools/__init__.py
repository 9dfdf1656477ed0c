"""Developer tools: local stack control (make run, tests, benchmarks) and the demo."""
