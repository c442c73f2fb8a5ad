"""Parsing the date column of bars: one rule for offsets, parse errors naming the row.

Text is parsed with one format for the whole column (guessed from the first cell, as pandas
does), so the common case is vectorised; cells that do not match it are parsed one by one.
Invariants: the result is UTC (naive cells read as UTC) plus whether the column was written
with an offset; a column mixing cells with and without an offset is refused (naive cells
would otherwise be read as UTC beside converted ones). Daily dates with an offset must have
offset 0: ``2024-01-03T19:00-05:00`` is 2024-01-04 in UTC, and which session it means is a
guess. Rows are 1-based positions in the column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from rustybt.errors import IngestError

__all__ = ["parse_times", "parse_times_utc", "refuse_daily_offsets"]


def _first_text(values: pd.Series) -> str | None:
    present = values.dropna()
    if len(present) == 0 or not isinstance(present.iloc[0], str):
        return None
    return str(present.iloc[0])


def _parse_cells(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse cell by cell: (UTC timestamps, NaT where unparseable; tz-aware mask)."""
    stamps: list[pd.Timestamp] = []
    aware = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values.tolist()):
        try:
            ts = pd.Timestamp(v)
        except (ValueError, TypeError, OverflowError):
            ts = pd.NaT
        if pd.isna(ts):
            stamps.append(pd.NaT)
            continue
        aware[i] = ts.tzinfo is not None
        stamps.append(ts.tz_convert("UTC") if aware[i] else ts.tz_localize("UTC"))
    parsed = pd.Series(pd.DatetimeIndex(stamps, tz="UTC").as_unit("ns"), index=values.index)
    return parsed, aware


def _parse(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(timestamps as UTC, NaT where unparseable; mask of cells written with an offset)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC"), np.ones(len(values), dtype=bool)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.dt.tz_localize("UTC"), np.zeros(len(values), dtype=bool)
    text = _first_text(values)
    fmt = None if text is None else guess_datetime_format(text)
    if fmt is None:
        return _parse_cells(values)
    # one format for the whole column (pandas' own inference, made explicit): a cell with or
    # without an offset unlike the first one does not match and is parsed on its own below
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format=fmt)
    first = pd.to_datetime(pd.Series([text]), errors="coerce", format=fmt)
    aware = np.full(len(values), isinstance(first.dtype, pd.DatetimeTZDtype))
    retry = (parsed.isna() & values.notna()).to_numpy()
    if retry.any():
        cells, cells_aware = _parse_cells(values[retry])
        parsed = parsed.copy()
        parsed[retry] = cells
        aware[retry] = cells_aware
    return parsed, aware


def parse_times_utc(values: pd.Series, label: str, column: str) -> tuple[pd.DatetimeIndex, bool]:
    """Parse a date column to UTC; returns (times, whether they were written with an offset).

    Empty or unparseable cells raise, and so does a column mixing cells with and without a
    UTC offset (naive cells would otherwise be read as UTC beside converted ones).
    """
    values = values.reset_index(drop=True)
    parsed, aware = _parse(values)
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise IngestError(
            "unparseable date", file=label, row=i + 1, column=column, value=values.iloc[i]
        )
    if len(aware) and (aware != aware[0]).any():
        i = int(np.flatnonzero(aware != aware[0])[0])
        raise IngestError(
            f"the column mixes dates with and without a UTC offset (row 1 has "
            f"{'one' if aware[0] else 'none'})",
            file=label,
            row=i + 1,
            column=column,
            value=values.iloc[i],
        )
    return pd.DatetimeIndex(parsed).as_unit("ns"), bool(len(aware) and aware[0])


def parse_times(values: pd.Series, label: str, column: str, *, utc: bool) -> pd.DatetimeIndex:
    """Parse a date column (rows are 1-based in errors); see :func:`parse_times_utc`.

    With ``utc`` the result is tz-aware UTC (naive input read as UTC); without, naive input
    stays naive and input with an offset is returned in UTC.
    """
    idx, aware = parse_times_utc(values, label, column)
    return idx if utc or aware else idx.tz_localize(None)


def refuse_daily_offsets(values: pd.Series, label: str, column: str) -> None:
    """Daily dates written with an offset must be UTC (offset 0): other offsets are refused.

    ``2024-01-03T19:00-05:00`` is 2024-01-04 in UTC; which session it means is a guess.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        wall = values.dt.tz_localize(None)
        utc = values.dt.tz_convert("UTC").dt.tz_localize(None)
        off = (wall != utc).to_numpy()
    else:
        off = np.array([pd.Timestamp(v).utcoffset() != pd.Timedelta(0) for v in values.tolist()])
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise IngestError(
            "daily bar date has a UTC offset other than 0; write the session date "
            "(no time, no offset)",
            file=label,
            row=i + 1,
            column=column,
            value=values.iloc[i],
        )
