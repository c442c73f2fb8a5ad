"""Optimization support: caches and (later) search workflows."""
