"""The built-in sources, registered in :mod:`.registry` like a user's: synthetic, csvdir, dataframe.

Options may arrive typed (the CLI's flags) or as strings (``--option KEY=VALUE``); each factory
converts them. ``calendar`` is the exchange-calendars name of the bars.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from rustybt.data.bundles.sources.csvdir import CsvdirIngest, csvdir_ingest
from rustybt.data.bundles.sources.dataframe import DataFrameIngest, dataframe_ingest
from rustybt.data.bundles.sources.registry import register_source
from rustybt.data.bundles.sources.synthetic import SyntheticIngest, synthetic_ingest
from rustybt.errors import InvalidSourceOption, SourceOptionError

__all__ = ["csvdir_source", "dataframe_source", "read_frame", "synthetic_source"]

_SYNTHETIC_OPTION = {"n_assets": "assets", "calendar_name": "calendar"}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE | _FALSE:
            return low in _TRUE
        raise SourceOptionError(f"option {name!r}: expected true/false, got {value!r}")
    return bool(value)


def _num(name: str, value: Any, kind: type[int] | type[float]) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise SourceOptionError(
            f"option {name!r}: expected {kind.__name__}, got {value!r}"
        ) from None


@register_source("synthetic")
def synthetic_source(
    *,
    assets: int | str = 10,
    years: float | str = 2.0,
    minute: bool | str = False,
    minute_assets: int | str | None = None,
    seed: int | str = 0,
    end_session: str | None = None,
    calendar: str | None = None,
) -> SyntheticIngest:
    """Deterministic synthetic bars with splits, dividends and halts (no input needed)."""
    try:
        return synthetic_ingest(
            _num("assets", assets, int),
            _num("years", years, float),
            minute=_bool("minute", minute),
            minute_assets=None
            if minute_assets is None
            else _num("minute_assets", minute_assets, int),
            seed=_num("seed", seed, int),
            end_session=end_session,
            calendar_name=calendar or "XNYS",
        )
    except InvalidSourceOption as err:  # the option names, not synthetic_ingest's
        raise err.renamed(_SYNTHETIC_OPTION, source="synthetic") from None


@register_source("csvdir")
def csvdir_source(*, path: str | Path, calendar: str | None = None) -> CsvdirIngest:
    """A zipline csvdir directory: daily/ and/or minute/ with one CSV per symbol."""
    return csvdir_ingest(path, calendar_name=calendar)


def read_frame(value: Any, option: str) -> Any:
    """A DataFrame as given, or read from a ``.parquet`` / ``.csv`` path."""
    if value is None or not isinstance(value, (str, Path)):
        return value
    path = Path(value).expanduser()
    if not path.is_file():
        raise SourceOptionError(f"option {option!r}: no such file {path}")
    if path.suffix.lower() == ".parquet":
        # pyarrow opens the file itself: pd.read_parquet's Python file object can be dropped
        # by an Arrow I/O thread during interpreter exit and abort the process (arrow#34314)
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pandas()
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    raise SourceOptionError(f"option {option!r}: {path} is neither .parquet nor .csv")


@register_source("dataframe")
def dataframe_source(
    *,
    daily: Any = None,
    minute: Any = None,
    assets: Any = None,
    splits: Any = None,
    mergers: Any = None,
    dividends: Any = None,
    stock_dividends: Any = None,
    exchange: str = "DATAFRAME",
    calendar: str | None = None,
) -> DataFrameIngest:
    """Long tables of bars (DataFrames, or .parquet/.csv paths) keyed by symbol or sid."""
    frames = {
        "daily": daily,
        "minute": minute,
        "assets": assets,
        "splits": splits,
        "mergers": mergers,
        "dividends": dividends,
        "stock_dividends": stock_dividends,
    }
    if daily is None and minute is None:
        raise SourceOptionError("source 'dataframe' needs option 'daily' and/or 'minute'")
    fn = dataframe_ingest(**{k: read_frame(v, k) for k, v in frames.items()}, exchange=exchange)
    if calendar is not None:
        fn.calendar_name = calendar  # type: ignore[attr-defined]
    return fn
