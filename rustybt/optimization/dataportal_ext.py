"""DataPortal extensions for optimization runs: the HistoryCache (layer 2 cache).

The implementation lives in :mod:`rustybt.data.portal.cache`; pass an instance as
``ArrowDataPortal(bundle, cache=HistoryCache())``.
"""

from rustybt.data.portal.cache import COMMON_BAR_COUNTS, HistoryCache, cache_from_env

__all__ = ["COMMON_BAR_COUNTS", "HistoryCache", "cache_from_env"]
