"""Helpers for tests and benchmarks (e.g. building a zipline reference from a rustybt bundle)."""
