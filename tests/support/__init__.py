"""Helpers shared by the tests and the benchmarks; no runtime package imports them."""
