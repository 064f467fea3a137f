"""Benchmark: this integration against Home Assistant's built-in `androidtv`, side by side.

Run it with `scripts/bench` (see `python -m tests.bench --help`). It is not part of the test run:
`bench_session.py` does not match pytest's `test_*.py` pattern and is only collected when the
bench names it. `tests/test_bench_smoke.py` runs the same machinery with tiny sample counts.
"""
