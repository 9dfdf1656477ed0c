"""Benchmarks: load and throughput runs that print figures and write JSON reports to bench/results/."""
