"""Validation of one asset's bars. Problems raise IngestError naming file/row/column/value.

Rows are numbered from 1 in input order (for a CSV, row 1 is the line after the header).
The policy (which problems are errors and which are repaired with a warning) is documented in
docs/bundles.md, section "Validation".
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from rustybt.data.bundles._lenient import Unusual
from rustybt.data.bundles._validate_times import (
    parse_times,
    parse_times_utc,
    refuse_daily_offsets,
)
from rustybt.errors import IngestError

__all__ = [
    "BAR_COLUMNS",
    "PRICE_COLUMNS",
    "Warn",
    "daily_bars",
    "first_bad",
    "minute_bars",
    "not_in",
    "parse_times",
    "require",
]

PRICE_COLUMNS = ("open", "high", "low", "close")
BAR_COLUMNS = (*PRICE_COLUMNS, "volume")
_VOLUME_MAX = float(2**63)
_VOLUME_MAX_INT = 2**63
_FLOAT_EXACT = float(2**53)  # float64 holds every integer below this exactly

Warn = Callable[[str], None]


def require(frame: pd.DataFrame, columns: tuple[str, ...], label: str) -> None:
    """Raise when any of ``columns`` is missing from ``frame``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise IngestError(
            f"missing required column(s) {missing}; found {list(map(str, frame.columns))}",
            file=label,
        )


def first_bad(mask: np.ndarray) -> int:
    """Position of the first True in ``mask``."""
    return int(np.flatnonzero(mask)[0])


def not_in(values: pd.DatetimeIndex, sorted_index: pd.DatetimeIndex) -> np.ndarray:
    """Mask of ``values`` missing from the sorted ``sorted_index`` (binary search, no hashing)."""
    haystack = sorted_index.as_unit("ns").asi8
    needles = values.as_unit("ns").asi8
    pos = np.searchsorted(haystack, needles)
    found = pos < len(haystack)
    found[found] = haystack[pos[found]] == needles[found]
    return ~found


def _check_order(idx: pd.DatetimeIndex, label: str, column: str) -> None:
    if len(idx) < 2:
        return
    diffs = np.diff(idx.asi8)
    if (diffs <= 0).any():
        i = first_bad(diffs <= 0) + 1
        if diffs[i - 1] == 0:
            raise IngestError(
                "duplicate date", file=label, row=i + 1, column=column, value=str(idx[i])
            )
        raise IngestError(
            f"dates are not increasing (previous row has {idx[i - 1]})",
            file=label,
            row=i + 1,
            column=column,
            value=str(idx[i]),
        )


def _numbers(frame: pd.DataFrame, label: str) -> dict[str, np.ndarray]:
    out = {}
    for col in BAR_COLUMNS:
        raw = frame[col]
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna().to_numpy() & raw.notna().to_numpy()
        if bad.any():
            i = first_bad(bad)
            raise IngestError("not a number", file=label, row=i + 1, column=col, value=raw.iloc[i])
        out[col] = num.to_numpy(dtype=np.float64)
    return out


def _empty_rows(values: dict[str, np.ndarray]) -> np.ndarray:
    """Rows with no trade: every price missing (or every price 0) and volume missing or 0."""
    prices = np.column_stack([values[c] for c in PRICE_COLUMNS])
    vol = values["volume"]
    no_volume = np.isnan(vol) | (vol == 0)
    return no_volume & (np.isnan(prices).all(axis=1) | (prices == 0).all(axis=1))


def _raise_first(mask: np.ndarray, reason: str, label: str, column: str, values: Any) -> None:
    if mask.any():
        i = first_bad(mask)
        raise IngestError(reason, file=label, row=i + 1, column=column, value=values[i])


def _check_brackets(
    values: dict[str, np.ndarray], label: str, idx: pd.DatetimeIndex, unusual: Unusual | None
) -> None:
    """high ≥ max(open, close) and low ≤ min(open, close): raise, or count when lenient."""
    o, h, lo, c = (values[k] for k in PRICE_COLUMNS)
    high_bad = h < np.maximum(o, c)
    low_bad = lo > np.minimum(o, c)
    if unusual is not None:
        bad = high_bad | low_bad
        if bad.any():
            i = first_bad(bad)
            unusual.note(
                "bars whose high/low do not bracket open/close",
                int(bad.sum()),
                f"{label} at {idx[i]}: open={o[i]}, high={h[i]}, low={lo[i]}, close={c[i]}",
            )
        return
    if high_bad.any():
        i = first_bad(high_bad)
        reason = f"high < max(open, close) (open={o[i]}, close={c[i]})"
        raise IngestError(reason, file=label, row=i + 1, column="high", value=h[i])
    if low_bad.any():
        i = first_bad(low_bad)
        reason = f"low > min(open, close) (open={o[i]}, close={c[i]})"
        raise IngestError(reason, file=label, row=i + 1, column="low", value=lo[i])


def _check_values(
    values: dict[str, np.ndarray],
    label: str,
    exact_volume: bool = False,
    missing_prices: bool = False,
    idx: pd.DatetimeIndex | None = None,
    unusual: Unusual | None = None,
) -> None:
    for col in PRICE_COLUMNS:
        v = values[col]
        if not missing_prices:
            _raise_first(np.isnan(v), "missing price", label, col, v)
        _raise_first(np.isinf(v), "price is not finite", label, col, v)
        _raise_first(v < 0, "negative price", label, col, v)
        _raise_first(v == 0, "price is zero", label, col, v)
    _check_brackets(values, label, idx if idx is not None else pd.DatetimeIndex([]), unusual)
    vol = values["volume"]
    _raise_first(np.isnan(vol), "missing volume", label, "volume", vol)
    _raise_first(~np.isfinite(vol), "volume is not finite", label, "volume", vol)
    if not exact_volume:  # integer input fits by construction
        _raise_first(vol >= _VOLUME_MAX, "volume does not fit in int64", label, "volume", vol)
    _raise_first(vol < 0, "negative volume", label, "volume", vol)
    _raise_first(vol != np.round(vol), "volume is not an integer", label, "volume", vol)


def _time_column(bars: pd.DataFrame, names: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
    for name in names:
        if name in bars.columns:
            return bars.reset_index(drop=True), name
    if isinstance(bars.index, pd.DatetimeIndex) or bars.index.name in names:
        col = bars.index.name or names[0]
        return bars.rename_axis(col).reset_index(), col
    return bars.reset_index(drop=True), names[0]


def _values_frame(
    time_col: str,
    idx: pd.DatetimeIndex,
    values: dict[str, np.ndarray],
    keep: np.ndarray | None,
    exact_volume: np.ndarray | None,
) -> pd.DataFrame:
    if keep is not None:  # values were already filtered by _drop_empty
        idx = idx[keep]
        if exact_volume is not None:
            exact_volume = exact_volume[keep]
    out = pd.DataFrame({k: values[k] for k in PRICE_COLUMNS})
    # integer input keeps every digit (float64 is exact only up to 2**53)
    out["volume"] = values["volume"].astype(np.int64) if exact_volume is None else exact_volume
    out.insert(0, time_col, idx)
    return out


def _drop_empty(
    values: dict[str, np.ndarray], idx: pd.DatetimeIndex, label: str, warn: Warn | None
) -> np.ndarray | None:
    empty = _empty_rows(values)
    if not empty.any():
        return None
    if warn is not None:
        rows = np.flatnonzero(empty)
        warn(
            f"{label}: {len(rows)} row(s) without a trade (no prices, no volume) dropped as "
            f"halts, first at row {rows[0] + 1} ({idx[rows[0]]})"
        )
    keep = ~empty
    for k in values:
        values[k] = values[k][keep]
    return keep


def _empty_frame(time_col: str, tz: str | None) -> pd.DataFrame:
    frame = pd.DataFrame({c: np.empty(0) for c in PRICE_COLUMNS})
    frame["volume"] = np.empty(0, dtype=np.int64)
    frame.insert(0, time_col, pd.DatetimeIndex([], tz=tz).as_unit("ns"))
    return frame


def daily_bars(
    bars: pd.DataFrame,
    calendar: Any,
    label: str,
    warn: Warn | None = None,
    missing_prices: bool = False,
    *,
    unusual: Unusual | None = None,
) -> pd.DataFrame:
    """Validate one asset's daily bars; returns (date, open, high, low, close, volume).

    ``missing_prices`` accepts a traded row with some prices NaN (see ``BundleWriter``). With
    ``unusual`` (a lenient writer), high/low not bracketing open/close is counted there
    instead of raising.
    """
    frame, col = _time_column(bars, ("date", "day", "session", "dt"))
    require(frame, (col, *BAR_COLUMNS), label)
    if len(frame) == 0:
        return _empty_frame("date", None)
    idx, aware = parse_times_utc(frame[col], label, col)
    if aware:
        refuse_daily_offsets(frame[col], label, col)
    idx = idx.tz_localize(None)
    not_midnight = idx != idx.normalize()
    if not_midnight.any():
        i = first_bad(np.asarray(not_midnight))
        raise IngestError(
            "daily bar date has a time of day", file=label, row=i + 1, column=col, value=str(idx[i])
        )
    _check_order(idx, label, col)
    sessions = pd.DatetimeIndex(calendar.sessions)
    off = not_in(idx, sessions)
    if off.any():
        i = first_bad(off)
        where = (
            f"outside the calendar's range {sessions[0].date()}..{sessions[-1].date()}"
            if idx[i] < sessions[0] or idx[i] > sessions[-1]
            else f"not a {calendar.name} session"
        )
        raise IngestError(
            f"date is {where}", file=label, row=i + 1, column=col, value=str(idx[i].date())
        )
    return _checked_values(frame, "date", idx, label, warn, missing_prices, unusual)


def _exact_volume(raw: pd.Series, num: np.ndarray, label: str) -> np.ndarray | None:
    """Volumes as exact int64 when float64 could round them (integer input, or text ≥ 2**53).

    Text cells float64 cannot hold exactly are read digit by digit: an integer that fits in
    int64 is kept exactly, anything else is refused. None: ``num`` (float64) is exact.
    """
    if pd.api.types.is_integer_dtype(raw.dtype):
        return raw.to_numpy(np.int64)
    big = np.isfinite(num) & (np.abs(num) >= _FLOAT_EXACT)
    if raw.dtype != object or not big.any():
        return None
    out = np.zeros(len(num), dtype=np.int64)
    small = np.isfinite(num) & ~big
    out[small] = num[small].astype(np.int64)  # non-integers are refused by _check_values
    for i in np.flatnonzero(big):
        cell = raw.iloc[i]
        value, reason = _exact_integer(cell)
        if value is None:
            raise IngestError(reason, file=label, row=int(i) + 1, column="volume", value=cell)
        out[i] = value
    return out


def _exact_integer(cell: Any) -> tuple[int | None, str]:
    """(the cell as an exact int64 volume, or None and why not)."""
    try:
        exact = Decimal(str(cell).strip())
    except InvalidOperation:
        return None, "not a number"
    if exact != exact.to_integral_value():
        return None, "volume is not an integer"
    if exact < 0:
        return None, "negative volume"
    if exact >= _VOLUME_MAX_INT:
        return None, "volume does not fit in int64"
    return int(exact), ""


def _checked_values(
    frame: pd.DataFrame,
    time_col: str,
    idx: pd.DatetimeIndex,
    label: str,
    warn: Warn | None,
    missing_prices: bool,
    unusual: Unusual | None = None,
) -> pd.DataFrame:
    values = _numbers(frame, label)
    exact = _exact_volume(frame["volume"], values["volume"], label)
    keep = _drop_empty(values, idx, label, warn)
    if keep is None:
        _check_values(values, label, exact is not None, missing_prices, idx, unusual)
    else:
        _check_kept(values, keep, label, exact is not None, missing_prices, idx[keep], unusual)
    return _values_frame(time_col, idx, values, keep, exact)


def _check_kept(
    values: dict[str, np.ndarray],
    keep: np.ndarray,
    label: str,
    exact_volume: bool,
    missing_prices: bool,
    idx: pd.DatetimeIndex,
    unusual: Unusual | None,
) -> None:
    """Check the rows left after dropping empty ones, reporting original row numbers."""
    try:
        _check_values(values, label, exact_volume, missing_prices, idx, unusual)
    except IngestError as err:
        assert err.row is not None
        row = int(np.flatnonzero(keep)[err.row - 1]) + 1
        raise IngestError(
            err.reason, file=err.file, row=row, column=err.column, value=err.value
        ) from None


def _minute_mask(idx: pd.DatetimeIndex, calendar: Any) -> np.ndarray:
    """True where ``idx`` (UTC) is not a right-labelled trading minute of ``calendar``."""
    ns = idx.as_unit("ns").asi8
    closes = pd.DatetimeIndex(calendar.closes).as_unit("ns").asi8
    opens = pd.DatetimeIndex(calendar.opens).as_unit("ns").asi8
    pos = np.searchsorted(closes, ns, side="left")
    inside = pos < len(closes)
    p = np.where(inside, pos, 0)
    ok = inside & (ns > opens[p]) & (ns % 60_000_000_000 == 0)
    breaks_start = getattr(calendar, "break_starts", None)
    if breaks_start is not None and pd.notna(breaks_start).any():
        bs = pd.DatetimeIndex(breaks_start).as_unit("ns")
        be = pd.DatetimeIndex(calendar.break_ends).as_unit("ns")
        has = ~bs.isna()
        bs_i, be_i = bs.asi8, be.asi8
        in_break = has[p] & (ns > bs_i[p]) & (ns <= be_i[p])
        ok &= ~in_break
    return ~ok


def minute_bars(
    bars: pd.DataFrame,
    calendar: Any,
    label: str,
    warn: Warn | None = None,
    missing_prices: bool = False,
    *,
    unusual: Unusual | None = None,
) -> pd.DataFrame:
    """Validate one asset's minute bars; returns (dt [UTC], open, high, low, close, volume).

    Naive timestamps are taken as UTC (zipline's convention for minute data).
    ``missing_prices`` and ``unusual`` as for :func:`daily_bars`.
    """
    frame, col = _time_column(bars, ("dt", "date", "minute", "datetime"))
    require(frame, (col, *BAR_COLUMNS), label)
    if len(frame) == 0:
        return _empty_frame("dt", "UTC")
    idx = parse_times(frame[col], label, col, utc=True)
    _check_order(idx, label, col)
    off = _minute_mask(idx, calendar)
    if off.any():
        i = first_bad(off)
        first = pd.Timestamp(calendar.opens.iloc[0]) + np.timedelta64(1, "m")
        last = pd.Timestamp(calendar.closes.iloc[-1])
        where = (
            f"outside the calendar's range {first}..{last}"
            if idx[i] < first or idx[i] > last
            else f"not a {calendar.name} trading minute (right-labelled, UTC)"
        )
        raise IngestError(
            f"minute is {where}", file=label, row=i + 1, column=col, value=str(idx[i])
        )
    return _checked_values(frame, "dt", idx, label, warn, missing_prices, unusual)
