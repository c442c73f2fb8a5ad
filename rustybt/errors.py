"""Every error rustybt raises, under one root, named for what happened.

Each class also subclasses the built-in a caller would naturally catch (``KeyError`` for a
missing key, ``ValueError`` for a bad argument, ``FileNotFoundError`` for a missing bundle),
so ``except ValueError`` keeps working while ``except RustybtError`` catches them all::

    RustybtError
    ├── BundleError
    │   ├── InvalidBundleName            (ValueError)
    │   ├── BundleNotRegistered          (KeyError)
    │   ├── BundleNotFound               (FileNotFoundError)
    │   ├── BundleVersionNotFound        (FileNotFoundError)
    │   │   └── BundleVersionRemoved
    │   ├── BundleCorrupted
    │   ├── SourceNotFound               (KeyError)
    │   ├── SourceOptionError            (TypeError)
    │   │   └── InvalidSourceOption      (ValueError as well)
    │   ├── ExtensionError               (ImportError)
    │   └── IngestError                  (ValueError)
    │       └── ZiplineBundleNotFound
    ├── AssetNotFound                    (KeyError)
    │   ├── SidsNotFound
    │   └── SymbolNotFound
    ├── StoreCorrupted
    ├── LockTimeout                      (TimeoutError)
    ├── ArrowPortalError
    │   ├── HistoryWindowStartsBeforeData
    │   ├── NoDataOnDate                 (KeyError)
    │   ├── NotATradingMinute            (exchange-calendars' NotTradingMinuteError, ValueError)
    │   ├── InvalidField                 (ValueError)
    │   ├── InvalidBarCount              (ValueError)
    │   ├── InvalidFrequency             (ValueError)
    │   ├── InvalidReturnType            (ValueError)
    │   ├── InvalidAsset                 (TypeError)
    │   ├── FuturesNotSupported          (NotImplementedError)
    │   ├── InvalidDate                  (ValueError)
    │   └── NoDataForFrequency           (ValueError)
    ├── IndicatorError
    │   ├── InvalidIndicatorArgument     (ValueError)
    │   └── NotADecimal                  (TypeError)
    ├── SQLError
    │   ├── SQLQueryError                (ValueError)
    │   ├── SQLAccessDenied              (PermissionError)
    │   └── SQLTimeout                   (TimeoutError)
    ├── AlgorithmError
    │   ├── InvalidSimulation            (ValueError)
    │   ├── BadOrderParameters           (ValueError)
    │   ├── OrderDuringInitialize
    │   ├── CannotOrderDelistedAsset     (ValueError)
    │   ├── TradingControlViolation
    │   ├── AlgorithmFileError           (ImportError)
    │   └── ResultsError                 (ValueError)
    ├── OptimizationError
    │   ├── WorkerSetupFailed            (RuntimeError)
    │   └── BackendUnavailable           (ImportError)
    └── BenchmarkError
        ├── InvalidBenchmarkRecord       (ValueError)
        ├── InsufficientRuns             (ValueError)
        ├── BenchmarkNotPicklable        (TypeError)
        ├── BenchmarkRunFailed           (RuntimeError)
        ├── DocMarkersNotFound           (ValueError)
        ├── ResultsNotComparable         (TypeError)
        ├── InvalidProfileRequest        (ValueError)
        ├── ProfilerUnavailable          (ImportError)
        ├── ProfilingFailed              (RuntimeError)
        └── BenchmarkInputNotFound       (FileNotFoundError)

    RustybtWarning (UserWarning)
    └── IngestWarning

The zipline shim (:mod:`rustybt.compat.zipline`) raises zipline's own classes where zipline
code catches them; those subclass the rustybt class of the same name as well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from exchange_calendars.errors import NotTradingMinuteError

__all__ = [
    "AlgorithmError",
    "AlgorithmFileError",
    "ArrowPortalError",
    "AssetNotFound",
    "BackendUnavailable",
    "BadOrderParameters",
    "BenchmarkError",
    "BenchmarkInputNotFound",
    "BenchmarkNotPicklable",
    "BenchmarkRunFailed",
    "BundleCorrupted",
    "BundleError",
    "BundleNotFound",
    "BundleNotRegistered",
    "BundleVersionNotFound",
    "BundleVersionRemoved",
    "CannotOrderDelistedAsset",
    "DocMarkersNotFound",
    "ExtensionError",
    "FuturesNotSupported",
    "HistoryWindowStartsBeforeData",
    "IndicatorError",
    "IngestError",
    "IngestWarning",
    "InsufficientRuns",
    "InvalidAsset",
    "InvalidBarCount",
    "InvalidBenchmarkRecord",
    "InvalidBundleName",
    "InvalidDate",
    "InvalidField",
    "InvalidFrequency",
    "InvalidIndicatorArgument",
    "InvalidProfileRequest",
    "InvalidReturnType",
    "InvalidSimulation",
    "InvalidSourceOption",
    "LockTimeout",
    "NoDataForFrequency",
    "NoDataOnDate",
    "NotADecimal",
    "NotATradingMinute",
    "OptimizationError",
    "OrderDuringInitialize",
    "ProfilerUnavailable",
    "ProfilingFailed",
    "ResultsError",
    "ResultsNotComparable",
    "RustybtError",
    "RustybtWarning",
    "SQLAccessDenied",
    "SQLError",
    "SQLQueryError",
    "SQLTimeout",
    "SidsNotFound",
    "SourceNotFound",
    "SourceOptionError",
    "StoreCorrupted",
    "SymbolNotFound",
    "TradingControlViolation",
    "WorkerSetupFailed",
    "ZiplineBundleNotFound",
]


class RustybtError(Exception):
    """Root of every error raised by rustybt."""


class RustybtWarning(UserWarning):
    """Root of every warning issued by rustybt."""


# --------------------------------------------------------------------------- bundles
class BundleError(RustybtError):
    """Base class of every bundle error (ingest, loading, verification)."""


class InvalidBundleName(BundleError, ValueError):
    """A bundle name that is not one plain path component (letters, digits, '.', '_', '-').

    Names become directories under the root, so ``../x``, ``/tmp/x``, ``a/b`` or ``""`` would
    write (and clean) outside the bundle's own directory.
    """


class BundleNotRegistered(BundleError, KeyError):
    """No ingest function is registered under this name."""

    def __init__(self, name: str, registered: list[str]) -> None:
        self.name = name
        super().__init__(f"no bundle registered as {name!r}; registered: {sorted(registered)}")

    def __str__(self) -> str:
        return str(self.args[0])


class BundleNotFound(BundleError, FileNotFoundError):
    """The bundle has never been ingested under this root."""

    def __init__(self, name: str, root: object) -> None:
        self.name = name
        super().__init__(f"bundle {name!r} has no ingested version under {root}")


class BundleVersionNotFound(BundleError, FileNotFoundError):
    """The requested version (directory name or content hash) does not exist."""

    def __init__(self, name: str, version: str, available: list[str]) -> None:
        self.name = name
        self.version = version
        super().__init__(f"bundle {name!r} has no version {version!r}; available: {available}")


class BundleVersionRemoved(BundleVersionNotFound):
    """A loaded version's directory was removed (``clean``) while something still read it."""

    def __init__(self, name: str, version: str, directory: object, path: object) -> None:
        self.name, self.version = name, version
        FileNotFoundError.__init__(
            self, f"bundle {name!r} version {version[:12]} ({directory}) was removed, e.g. by "
            f"`rustybt bundles clean`, while still open; cannot read {path}. Load the bundle "
            "again for its current version.")


class BundleCorrupted(BundleError):
    """A bundle file is missing or its SHA256 does not match the manifest."""


class SourceNotFound(BundleError, KeyError):
    """No source is registered under this name (``rustybt ingest --source``)."""

    def __init__(self, name: str, available: list[str]) -> None:
        self.name = name
        self.available = sorted(available)
        super().__init__(f"unknown source {name!r}; available sources: {', '.join(self.available)}")

    def __str__(self) -> str:
        return str(self.args[0])


class SourceOptionError(BundleError, TypeError):
    """A source was given an option its factory does not take (or lacks a required one).

    Attributes:
        source: The source name (None when not known).
        option: The option at fault (None when not known).
        missing: True when the option is required and was not given.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        option: str | None = None,
        missing: bool = False,
    ) -> None:
        self.source = source
        self.option = option
        self.missing = missing
        super().__init__(message)


def _python_spelling(name: str, value: object) -> str:
    return f"{name}={value!r}"


class InvalidSourceOption(SourceOptionError, ValueError):
    """A source option (or ingest-function argument) has a value out of range or unparseable.

    The message is ``reason`` with ``{0}``, ``{1}``... replaced by the options it names, in
    order, each spelled ``name=value`` (the Python spelling); :meth:`spelled` renders it with
    another spelling (the CLI writes ``--assets 0``), :meth:`renamed` maps the names (a
    source's option names onto its ingest function's parameters).

    Attributes:
        values: The options the message names, the faulty one first (name -> value).
        value: The faulty value.
        reason: The message template.
    """

    def __init__(
        self, reason: str, values: Mapping[str, object], *, source: str | None = None
    ) -> None:
        if not values:
            raise TypeError("InvalidSourceOption needs the faulty option in values")
        self.reason = reason
        self.values = dict(values)
        option, self.value = next(iter(self.values.items()))
        super().__init__(self.spelled(), source=source, option=option)

    def spelled(self, spelling: Callable[[str, object], str] = _python_spelling) -> str:
        """The message with each named option written by ``spelling(name, value)``."""
        return self.reason.format(*(spelling(k, v) for k, v in self.values.items()))

    def renamed(
        self, names: Mapping[str, str], *, source: str | None = None
    ) -> InvalidSourceOption:
        """The same error with the options named by ``names`` (others keep their name)."""
        values = {names.get(k, k): v for k, v in self.values.items()}
        return InvalidSourceOption(self.reason, values, source=source or self.source)


class ExtensionError(BundleError, ImportError):
    """A user extension file (``extension.py``, ``rustybt -e FILE``) is missing or failed."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"extension {path}: {reason}", path=str(path))


class IngestError(BundleError, ValueError):
    """Input rejected during ingest; the message names file, row, column and value.

    Attributes:
        file: The input file or logical source the problem was found in.
        row: The 1-based data row (header excluded) or None.
        column: The column name or None.
        value: The offending value or None.
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        if type(value).__module__ == "numpy" and hasattr(value, "item"):
            value = value.item()  # show 2.0, not np.float64(2.0)
        self.reason = reason
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        parts = []
        if file is not None:
            parts.append(f"file {file}")
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column {column!r}")
        if value is not None:
            parts.append(f"value {value!r}")
        where = ", ".join(parts)
        super().__init__(f"{where}: {reason}" if where else reason)


class ZiplineBundleNotFound(IngestError):
    """No ingested zipline bundle of that name (or timestamp) under the zipline root."""


class IngestWarning(RustybtWarning):
    """Input accepted after a documented repair (e.g. missing sessions become halts)."""


# --------------------------------------------------------------------------- assets
class AssetNotFound(RustybtError, KeyError):
    """An asset lookup found nothing."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SidsNotFound(AssetNotFound):
    """One or more sids are not in the bundle.

    Attributes:
        sids: The sids that were not found.
    """

    def __init__(self, sids: Iterable[int]) -> None:
        self.sids = list(sids)
        super().__init__(f"sids not found in the bundle: {self.sids}")


class SymbolNotFound(AssetNotFound):
    """No asset held this symbol (as of the requested date).

    Attributes:
        symbol: The symbol looked up.
        as_of_date: The date of the lookup, or None.
    """

    def __init__(self, symbol: str, as_of_date: Any = None) -> None:
        self.symbol = symbol
        self.as_of_date = as_of_date
        when = "" if as_of_date is None else f" as of {as_of_date.date()}"
        super().__init__(f"symbol {symbol!r} not found{when}")


# --------------------------------------------------------------------------- store
class StoreCorrupted(RustybtError):
    """A mapped store file is unreadable or does not match its bundle (it is rebuilt)."""


class LockTimeout(RustybtError, TimeoutError):
    """A file lock was still held by another process when the wait's time limit passed."""


# --------------------------------------------------------------------------- portal
class ArrowPortalError(RustybtError):
    """Base class of every error raised by :class:`rustybt.ArrowDataPortal`'s queries."""


class HistoryWindowStartsBeforeData(ArrowPortalError):
    """A history window would start before the bundle's first trading day (or minute).

    Attributes:
        first_trading_day: First session of the data.
        bar_count: The requested number of bars.
        suggested_start_day: First session at which the window fits.
    """

    def __init__(self, first_trading_day: Any, bar_count: int, suggested_start_day: Any) -> None:
        self.first_trading_day = first_trading_day
        self.bar_count = bar_count
        self.suggested_start_day = suggested_start_day
        super().__init__(
            f"History window extends before {first_trading_day}. To use this history window, "
            f"start the backtest on or after {suggested_start_day} (bar_count={bar_count})."
        )


class NoDataOnDate(ArrowPortalError, KeyError):
    """A date lies outside the bundle's calendar range."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotATradingMinute(ArrowPortalError, NotTradingMinuteError):  # type: ignore[misc]
    """A '1m' window (zipline_exact mode) ends at a time that is not a trading minute.

    zipline's ``minutes_window`` raises exchange-calendars' ``NotTradingMinuteError`` there;
    this is that class (and a ``ValueError``), so zipline code catching it keeps working.
    The default mode ends such a window at the last trading minute before ``minute``.

    Attributes:
        calendar: The bundle's exchange calendar.
        minute: The requested end (UTC Timestamp).
        param_name: ``"minute"``, as exchange-calendars names it.
    """

    def __init__(self, calendar: Any, minute: Any) -> None:
        if isinstance(minute, int):  # UTC nanoseconds
            import pandas as pd

            minute = pd.Timestamp(minute, tz="UTC")
        NotTradingMinuteError.__init__(self, calendar, minute, "minute")
        Exception.__init__(self, calendar, minute)

    def __str__(self) -> str:
        return "'1m' history window: " + NotTradingMinuteError.__str__(self)


class InvalidField(ArrowPortalError, ValueError):
    """A field other than open, high, low, close, volume, price (or last_traded for spots)."""


class InvalidBarCount(ArrowPortalError, ValueError):
    """``bar_count`` is smaller than 1."""


class InvalidFrequency(ArrowPortalError, ValueError):
    """A history frequency other than '1d'/'1m' or a data frequency other than daily/minute."""


class InvalidReturnType(ArrowPortalError, ValueError):
    """A ``return_type`` other than the ones ``history()`` supports."""


class InvalidAsset(ArrowPortalError, TypeError):
    """An asset that is neither an object with ``.sid`` nor an integer sid (a float, a bool,
    a symbol string: resolve symbols with ``asset_finder.lookup_symbol`` first)."""


class FuturesNotSupported(ArrowPortalError, NotImplementedError):
    """A future was given where rustybt serves equities only: a zipline ``Future`` or
    ``ContinuousFuture`` passed to the DataPortal shim, future readers, or a future chain."""


class InvalidDate(ArrowPortalError, ValueError):
    """A datetime argument that is not a date (``NaT``)."""


class NoDataForFrequency(ArrowPortalError, ValueError):
    """The bundle holds no bars of the requested data frequency (e.g. minute)."""


# --------------------------------------------------------------------------- indicators
class IndicatorError(RustybtError):
    """Base class of :mod:`rustybt.indicators` errors."""


class InvalidIndicatorArgument(IndicatorError, ValueError):
    """A bad indicator argument; the message names the argument and the value given.

    A window that is not a positive ``int`` (0, -1, 2.5, True), a span below 1, a negative
    ``ddof``, an unknown fill method, a slice outside the array, an array that is not 1-D/2-D
    or not numeric, an empty sequence where a mean is asked.
    """


class NotADecimal(IndicatorError, TypeError):
    """A Decimal helper got a value that is neither ``Decimal`` nor ``int`` (e.g. a float).

    Attributes:
        index: Position of the value in the sequence.
        value: The value.
    """

    def __init__(self, message: str, *, index: int, value: object) -> None:
        super().__init__(message)
        self.index = index
        self.value = value


# --------------------------------------------------------------------------- SQL
class SQLError(RustybtError):
    """Base class of bundle SQL errors.

    Attributes:
        query: The SQL text that failed.
        duckdb_message: DuckDB's own message.
    """

    def __init__(self, message: str, *, query: str, duckdb_message: str) -> None:
        super().__init__(message)
        self.query = query
        self.duckdb_message = duckdb_message


class SQLQueryError(SQLError, ValueError):
    """The query is not valid SQL for these relations (syntax, unknown column, bad type...)."""


class SQLAccessDenied(SQLError, PermissionError):
    """The sandbox refused the query: it would write, reach outside the bundle or unlock it."""


class SQLTimeout(SQLError, TimeoutError):
    """The query ran past its ``timeout`` and was interrupted (nothing was returned).

    Attributes:
        timeout: The limit in seconds.
    """

    def __init__(self, message: str, *, query: str, duckdb_message: str, timeout: float) -> None:
        super().__init__(message, query=query, duckdb_message=duckdb_message)
        self.timeout = timeout


class AlgorithmError(RustybtError):
    """A trading algorithm or its simulation was used wrongly (the engine's errors)."""


class InvalidSimulation(AlgorithmError, ValueError):
    """``run_algorithm``'s arguments do not describe a simulation (dates, capital, data)."""


class BadOrderParameters(AlgorithmError, ValueError):
    """An order's amount, limit or stop price is not usable (NaN, negative, not a number)."""


class OrderDuringInitialize(AlgorithmError):
    """``order()`` was called from ``initialize``, before the simulation has a date."""


class CannotOrderDelistedAsset(AlgorithmError, ValueError):
    """An order by value needs a price the asset does not have (not yet listed, delisted)."""


class TradingControlViolation(AlgorithmError):
    """An order broke a trading control the algorithm set (long only, max leverage, ...)."""


class AlgorithmFileError(AlgorithmError, ImportError):
    """An algorithm file (``rustybt run -f FILE``) is missing, does not compile, fails while
    being executed, or defines no ``initialize``; the message names the file (and line)."""


class ResultsError(AlgorithmError, ValueError):
    """A results frame cannot be saved or plotted as asked, or a file is not saved results
    (the message names the column, session or file)."""


# --------------------------------------------------------------------------- optimization
class OptimizationError(RustybtError):
    """An optimization study could not run as asked (its executors' errors)."""


class WorkerSetupFailed(OptimizationError, RuntimeError):
    """A worker (process or Ray actor) could not receive or set up the workload: it does not
    pickle, its module does not import there, or ``Workload.setup`` raised (the message names
    the worker and the error)."""


class BackendUnavailable(OptimizationError, ImportError):
    """An executor backend's optional dependency is not installed (e.g. ``rustybt[ray]``)."""


# --------------------------------------------------------------------------- benchmarking
class BenchmarkError(RustybtError):
    """Base class of the benchmark framework's errors (:mod:`rustybt.benchmarking`)."""


class InvalidBenchmarkRecord(BenchmarkError, ValueError):
    """A benchmark record (a model's field, or its JSON) holds a value it cannot take; the
    message names the record, the field and the value."""


class InsufficientRuns(BenchmarkError, ValueError):
    """A statistic or a decision was asked of fewer runs than it needs; the message names the
    result set, its run count and the number needed."""


class BenchmarkNotPicklable(BenchmarkError, TypeError):
    """``run_interleaved(..., fresh_process=True)`` was given a callable a spawned process cannot
    receive (a lambda, a closure, a function defined inside another)."""


class BenchmarkRunFailed(BenchmarkError, RuntimeError):
    """A measured (or warm-up) call raised; the message names the side, the run and the process,
    and the original exception is the ``__cause__``."""


class DocMarkersNotFound(BenchmarkError, ValueError):
    """A generated figure was to be written into a document between markers the document does
    not hold exactly once; the message names the file and the missing or repeated marker."""


class ResultsNotComparable(BenchmarkError, TypeError):
    """The functional-equivalence check met a workload result it cannot compare (a value whose
    ``==`` raises or does not answer a bool); the message names where in the result."""


class InvalidProfileRequest(BenchmarkError, ValueError):
    """A profile was asked with an argument it cannot take (an output folder that is a file or
    cannot be created, an unknown sampler, ``top`` < 1); the message names it and the value."""


class ProfilerUnavailable(BenchmarkError, ImportError):
    """The sampler asked for (``py-spy``) is not installed; raised before anything runs."""


class ProfilingFailed(BenchmarkError, RuntimeError):
    """A profiler could not do its work: cProfile could not start (another profiler is active)
    or ``py-spy record`` failed (the message has its exit status and last line)."""


class BenchmarkInputNotFound(BenchmarkError, FileNotFoundError):
    """A benchmark report's input (a report JSON, or a folder of result-set JSONs) does not
    exist, or the folder holds no result set; the message names the path."""
