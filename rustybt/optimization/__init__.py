"""Optimization support: caches and (later) search workflows."""

from rustybt.optimization.dataportal_ext import COMMON_BAR_COUNTS, HistoryCache, cache_from_env

__all__ = ["COMMON_BAR_COUNTS", "HistoryCache", "cache_from_env"]
