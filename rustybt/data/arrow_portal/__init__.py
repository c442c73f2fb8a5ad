"""ArrowDataPortal: memory-mapped, asset-partitioned Arrow stores and zero-copy history().

The zipline-style bar readers (``ArrowDailyBarReader``, ``ArrowMinuteBarReader``) are imported on
first use, so importing this package does not import zipline.
"""

from rustybt.data.arrow_portal.cache import HistoryCache
from rustybt.data.arrow_portal.errors import (
    ArrowPortalError,
    HistoryWindowStartsBeforeData,
    InvalidBarCount,
    InvalidField,
    InvalidFrequency,
    NoDataForFrequency,
    NoDataOnDate,
    NotATradingMinute,
    StoreCorrupted,
)
from rustybt.data.arrow_portal.portal import HISTORY_FIELDS, SPOT_FIELDS, ArrowDataPortal
from rustybt.data.arrow_portal.sql import (
    BundleSQL,
    SQLAccessDenied,
    SQLError,
    SQLQueryError,
    SQLResult,
)
from rustybt.data.arrow_portal.store import MappedStore

__all__ = [
    "HISTORY_FIELDS",
    "SPOT_FIELDS",
    "ArrowDailyBarReader",
    "ArrowDataPortal",
    "ArrowMinuteBarReader",
    "ArrowPortalError",
    "BundleSQL",
    "HistoryCache",
    "HistoryWindowStartsBeforeData",
    "InvalidBarCount",
    "InvalidField",
    "InvalidFrequency",
    "MappedStore",
    "NoDataForFrequency",
    "NoDataOnDate",
    "NotATradingMinute",
    "SQLAccessDenied",
    "SQLError",
    "SQLQueryError",
    "SQLResult",
    "StoreCorrupted",
]

_LAZY_READERS = frozenset({"ArrowDailyBarReader", "ArrowMinuteBarReader"})


def __getattr__(name: str) -> object:
    """Import the zipline-style readers on first use (they import zipline's exceptions)."""
    if name in _LAZY_READERS:
        from rustybt.data.arrow_portal import readers

        return getattr(readers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
