"""Benchmarks: run each with ``python -m experiments.benchmarks.NAME``."""
