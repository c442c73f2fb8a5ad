"""The flat public namespace is pinned: adding or removing a name is a deliberate change here."""

from __future__ import annotations

import types

import rustybt

EXPECTED = [
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


def test_all_is_pinned() -> None:
    assert rustybt.__all__ == EXPECTED


def test_every_exported_name_resolves() -> None:
    for name in rustybt.__all__:
        assert getattr(rustybt, name) is not None, name


def test_every_public_member_is_exported() -> None:
    public = {
        name
        for name, value in vars(rustybt).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
        and name not in {"annotations", "TYPE_CHECKING"}
    }
    assert public <= set(rustybt.__all__)


def test_exported_classes_say_where_they_live() -> None:
    """Each class is defined in a rustybt module (no third-party class leaks into the namespace)."""
    for name in rustybt.__all__:
        value = getattr(rustybt, name)
        if isinstance(value, type):
            assert value.__module__.startswith("rustybt."), (name, value.__module__)


def test_errors_share_one_root() -> None:
    from rustybt import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        root = rustybt.RustybtWarning if issubclass(cls, Warning) else rustybt.RustybtError
        assert issubclass(cls, root), name
        assert getattr(rustybt, name, cls) is cls


def test_the_error_tree_in_the_docstring_names_every_class() -> None:
    from rustybt import errors

    for name in errors.__all__:
        assert f" {name} " in f" {errors.__doc__} ".replace("\n", " "), name


def test_dir_lists_the_lazy_alias() -> None:
    assert "DataPortal" in dir(rustybt)
