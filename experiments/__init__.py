"""Scripted runs: the ``soundstage`` command line, figure reproductions, sweeps, benchmarks."""
