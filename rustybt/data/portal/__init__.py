"""ArrowDataPortal: zipline-semantics history() and spot values over the mapped store.

The portal composes small parts: history windows (:mod:`.history`, fast paths in :mod:`.fast`),
spot values (:mod:`.spot`), zipline's query methods (:mod:`.queries`), result shaping
(:mod:`.shape`, :mod:`.frames`) and an optional result cache (:mod:`.cache`).
"""

from rustybt.data.portal.cache import HistoryCache
from rustybt.data.portal.portal import HISTORY_FIELDS, SPOT_FIELDS, ArrowDataPortal

__all__ = ["HISTORY_FIELDS", "SPOT_FIELDS", "ArrowDataPortal", "HistoryCache"]
