"""Benchmarks for `make bench`, one module per area; bench/run.py runs them all."""
