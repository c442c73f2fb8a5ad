"""rustybt: an Arrow-native backtesting data layer.

The whole public API is importable from here; submodules are where it lives, not where users
need to look::

    import rustybt

    rustybt.ingest("demo")                       # Parquet bundle, atomic, SHA256-versioned
    bundle = rustybt.load("demo")
    portal = rustybt.ArrowDataPortal(bundle)     # memory-mapped history() and spot values
    portal.history(0, "close", 20, return_type="array")
    rustybt.sql(bundle, "SELECT count(*) FROM daily_bars").df()

``rustybt.DataPortal`` (zipline's DataPortal signature, :mod:`rustybt.compat.zipline`) is imported
on first use, so ``import rustybt`` never imports zipline. Every error is a
:class:`RustybtError` (see :mod:`rustybt.errors` for the tree).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rustybt.assets import Asset, AssetFinder, Equity
from rustybt.data.bundles import (
    Bundle,
    BundleInfo,
    BundleWriter,
    Manifest,
    VersionInfo,
    bundle_root,
    bundles,
    clean,
    ingest,
    load,
    register,
    registered,
    unregister,
)
from rustybt.data.bundles.protocol import BundleLike
from rustybt.data.bundles.sources import load_extension, register_source, registered_sources
from rustybt.data.portal import ArrowDataPortal, DataPortalLike, HistoryCache
from rustybt.data.sql import BundleSQL, SQLResult, sql
from rustybt.engine import (
    TradingAlgorithm,
    load_results,
    plot_results,
    run_algorithm,
    save_results,
)
from rustybt.errors import (
    AlgorithmError,
    AlgorithmFileError,
    ArrowPortalError,
    AssetNotFound,
    BackendUnavailable,
    BadOrderParameters,
    BundleCorrupted,
    BundleError,
    BundleNotFound,
    BundleNotRegistered,
    BundleVersionNotFound,
    BundleVersionRemoved,
    CannotOrderDelistedAsset,
    ExtensionError,
    FuturesNotSupported,
    HistoryWindowStartsBeforeData,
    IndicatorError,
    IngestError,
    IngestWarning,
    InvalidAsset,
    InvalidBarCount,
    InvalidBundleName,
    InvalidDate,
    InvalidField,
    InvalidFrequency,
    InvalidIndicatorArgument,
    InvalidReturnType,
    InvalidSimulation,
    InvalidSourceOption,
    LockTimeout,
    NoDataForFrequency,
    NoDataOnDate,
    NotADecimal,
    NotATradingMinute,
    OptimizationError,
    OrderDuringInitialize,
    ResultsError,
    RustybtError,
    RustybtWarning,
    SidsNotFound,
    SourceNotFound,
    SourceOptionError,
    SQLAccessDenied,
    SQLError,
    SQLQueryError,
    SQLTimeout,
    StoreCorrupted,
    SymbolNotFound,
    TradingControlViolation,
    WorkerSetupFailed,
)

if TYPE_CHECKING:
    from rustybt.compat.zipline import DataPortal

__version__ = "0.1.0"

__all__ = [
    "AlgorithmError",
    "AlgorithmFileError",
    "ArrowDataPortal",
    "ArrowPortalError",
    "Asset",
    "AssetFinder",
    "AssetNotFound",
    "BackendUnavailable",
    "BadOrderParameters",
    "Bundle",
    "BundleCorrupted",
    "BundleError",
    "BundleInfo",
    "BundleLike",
    "BundleNotFound",
    "BundleNotRegistered",
    "BundleSQL",
    "BundleVersionNotFound",
    "BundleVersionRemoved",
    "BundleWriter",
    "CannotOrderDelistedAsset",
    "DataPortal",
    "DataPortalLike",
    "Equity",
    "ExtensionError",
    "FuturesNotSupported",
    "HistoryCache",
    "HistoryWindowStartsBeforeData",
    "IndicatorError",
    "IngestError",
    "IngestWarning",
    "InvalidAsset",
    "InvalidBarCount",
    "InvalidBundleName",
    "InvalidDate",
    "InvalidField",
    "InvalidFrequency",
    "InvalidIndicatorArgument",
    "InvalidReturnType",
    "InvalidSimulation",
    "InvalidSourceOption",
    "LockTimeout",
    "Manifest",
    "NoDataForFrequency",
    "NoDataOnDate",
    "NotADecimal",
    "NotATradingMinute",
    "OptimizationError",
    "OrderDuringInitialize",
    "ResultsError",
    "RustybtError",
    "RustybtWarning",
    "SQLAccessDenied",
    "SQLError",
    "SQLQueryError",
    "SQLResult",
    "SQLTimeout",
    "SidsNotFound",
    "SourceNotFound",
    "SourceOptionError",
    "StoreCorrupted",
    "SymbolNotFound",
    "TradingAlgorithm",
    "TradingControlViolation",
    "VersionInfo",
    "WorkerSetupFailed",
    "__version__",
    "bundle_root",
    "bundles",
    "clean",
    "ingest",
    "load",
    "load_extension",
    "load_results",
    "plot_results",
    "register",
    "register_source",
    "registered",
    "registered_sources",
    "run_algorithm",
    "save_results",
    "sql",
    "unregister",
]


def __getattr__(name: str) -> object:
    """``DataPortal`` (zipline's shim) is imported on first use: it imports zipline."""
    if name == "DataPortal":
        from rustybt.compat.zipline.data_portal import DataPortal

        return DataPortal
    raise AttributeError(f"module 'rustybt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
