"""ArrowDataPortal: zipline-semantics history() and spot values over the mapped store.

The portal composes small parts (no mixins): the stores (:mod:`.stores`), a history request
resolved once (:mod:`.request`), the array engine (:mod:`.history`) with its fast paths
(:mod:`.fast`) and general path (:mod:`.windows`), result shaping (:mod:`.shape`,
:mod:`.frames`, :mod:`.tables`), spot values and zipline's queries (:mod:`.spot`,
:mod:`.queries`), dividends for the ledger (:mod:`.adjustment_reader`) and an optional result
cache (:mod:`.cache`). :class:`DataPortalLike` (:mod:`.protocol`) is the contract the engine
reads through.
"""

from rustybt.data.portal.cache import HistoryCache
from rustybt.data.portal.portal import HISTORY_FIELDS, SPOT_FIELDS, ArrowDataPortal
from rustybt.data.portal.protocol import AdjustmentReaderLike, DataPortalLike
from rustybt.data.portal.request import HistoryRequest

__all__ = [
    "HISTORY_FIELDS",
    "SPOT_FIELDS",
    "AdjustmentReaderLike",
    "ArrowDataPortal",
    "DataPortalLike",
    "HistoryCache",
    "HistoryRequest",
]
