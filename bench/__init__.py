"""Benchmarks: the real Application against the fake Bot API; see bench/__main__.py."""
