"""ArrowDataPortal: memory-mapped, asset-partitioned Arrow stores and zero-copy history()."""

from rustybt.data.arrow_portal.cache import HistoryCache
from rustybt.data.arrow_portal.errors import (
    ArrowPortalError,
    HistoryWindowStartsBeforeData,
    InvalidBarCount,
    InvalidField,
    InvalidFrequency,
    NoDataForFrequency,
    NoDataOnDate,
    StoreCorrupted,
)
from rustybt.data.arrow_portal.portal import HISTORY_FIELDS, SPOT_FIELDS, ArrowDataPortal
from rustybt.data.arrow_portal.store import MappedStore

__all__ = [
    "HISTORY_FIELDS",
    "SPOT_FIELDS",
    "ArrowDataPortal",
    "ArrowPortalError",
    "HistoryCache",
    "HistoryWindowStartsBeforeData",
    "InvalidBarCount",
    "InvalidField",
    "InvalidFrequency",
    "MappedStore",
    "NoDataForFrequency",
    "NoDataOnDate",
    "StoreCorrupted",
]
from rustybt.data.arrow_portal.readers import ArrowDailyBarReader, ArrowMinuteBarReader  # noqa: I001  (issue 4)
__all__ += ["ArrowDailyBarReader", "ArrowMinuteBarReader"]
from rustybt.data.arrow_portal.sql import (  # noqa: E402  (issue 5)
    BundleSQL,
    SQLAccessDenied,
    SQLError,
    SQLQueryError,
    SQLResult,
)

__all__ += ["BundleSQL", "SQLAccessDenied", "SQLError", "SQLQueryError", "SQLResult"]
