"""The benchmarks (see README.md). Each runs as ``python bench/NAME.py`` or ``python -m bench.NAME``;
what they share is ``harness``."""
