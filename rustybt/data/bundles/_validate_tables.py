"""Validation of the asset table, symbol history and adjustment tables."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from rustybt.data.bundles._validate import first_bad, not_in, parse_times, require
from rustybt.errors import IngestError

__all__ = ["ASSET_COLUMNS", "adjustments", "assets", "symbol_history"]

ASSET_COLUMNS = (
    "sid",
    "symbol",
    "asset_name",
    "exchange",
    "start_date",
    "end_date",
    "first_traded",
    "auto_close_date",
)
_DATE_COLUMNS = ("start_date", "end_date", "first_traded", "auto_close_date")


def _int_sids(values: pd.Series, label: str, column: str = "sid") -> pd.Series:
    num = pd.to_numeric(values, errors="coerce")
    arr = num.to_numpy(dtype=np.float64)
    bad = np.isnan(arr) | (arr != np.round(arr))
    if bad.any():
        i = first_bad(bad)
        raise IngestError(
            "sid is not an integer", file=label, row=i + 1, column=column, value=values.iloc[i]
        )
    return num.astype(np.int64)


def _optional_dates(frame: pd.DataFrame, col: str, label: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    raw = frame[col]
    parsed = pd.to_datetime(raw, errors="coerce")
    bad = parsed.isna().to_numpy() & raw.notna().to_numpy()
    if bad.any():
        i = first_bad(bad)
        raise IngestError("unparseable date", file=label, row=i + 1, column=col, value=raw.iloc[i])
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.astype("datetime64[ns]")


def assets(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate the asset table; fills optional columns (names "", dates NaT)."""
    label = "assets"
    require(frame, ("sid", "symbol"), label)
    out = frame.reset_index(drop=True).copy()
    out["sid"] = _int_sids(out["sid"], label)
    dup = out["sid"].duplicated().to_numpy()
    if dup.any():
        i = first_bad(dup)
        raise IngestError(
            "duplicate sid", file=label, row=i + 1, column="sid", value=int(out["sid"].iloc[i])
        )
    missing = out["symbol"].isna().to_numpy() | (out["symbol"].astype(str) == "").to_numpy()
    if missing.any():
        i = first_bad(missing)
        raise IngestError("empty symbol", file=label, row=i + 1, column="symbol", value=None)
    for col in ("asset_name", "exchange"):
        out[col] = out[col].fillna("").astype(str) if col in out.columns else ""
    for col in _DATE_COLUMNS:
        out[col] = _optional_dates(out, col, label)
    bad = (out["end_date"] < out["start_date"]).to_numpy()
    if bad.any():
        i = first_bad(bad)
        raise IngestError(
            f"end_date before start_date ({out['start_date'].iloc[i].date()})",
            file=label,
            row=i + 1,
            column="end_date",
            value=str(out["end_date"].iloc[i].date()),
        )
    return out[list(ASSET_COLUMNS)]


def symbol_history(frame: pd.DataFrame, asset_table: pd.DataFrame) -> pd.DataFrame:
    """Validate (sid, symbol, start_date, end_date) spans against the asset table."""
    label = "symbol_history"
    require(frame, ("sid", "symbol", "start_date", "end_date"), label)
    out = frame.reset_index(drop=True).copy()
    out["sid"] = _int_sids(out["sid"], label)
    bad = ~out["sid"].isin(set(asset_table["sid"].tolist())).to_numpy()
    if bad.any():
        i = first_bad(bad)
        raise IngestError(
            "unknown sid (not in the asset table)",
            file=label,
            row=i + 1,
            column="sid",
            value=int(out["sid"].iloc[i]),
        )
    for col in ("start_date", "end_date"):
        out[col] = _optional_dates(out, col, label)
    return out[["sid", "symbol", "start_date", "end_date"]]


_ADJ_COLUMNS: dict[str, tuple[str, ...]] = {
    "splits": ("sid", "effective_date", "ratio"),
    "mergers": ("sid", "effective_date", "ratio"),
    "dividends": ("sid", "ex_date", "amount"),
    "stock_dividends": ("sid", "ex_date", "payment_sid", "ratio"),
}
_OPTIONAL_DATES = ("record_date", "declared_date", "pay_date")

BarSessions = Callable[[int], pd.DatetimeIndex | None]


def _empty(key: str) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {}
    for c in _ADJ_COLUMNS[key]:
        dtype = "int64" if c in ("sid", "payment_sid") else "float64"
        cols[c] = pd.Series([], dtype="datetime64[ns]" if "date" in c else dtype)
    return pd.DataFrame(cols)


def _check_ratio(frame: pd.DataFrame, key: str, label: str) -> None:
    ratio = pd.to_numeric(frame["ratio"], errors="coerce").to_numpy(np.float64)
    bad = ~(np.isfinite(ratio) & (ratio > 0))
    if bad.any():
        i = first_bad(bad)
        raise IngestError(
            "ratio must be a finite number > 0",
            file=label,
            row=i + 1,
            column="ratio",
            value=frame["ratio"].iloc[i],
        )
    frame["ratio"] = ratio


def _check_given_ratio(frame: pd.DataFrame, label: str) -> None:
    """A dividend ratio given by the source: finite and > 0, or NaN (no price adjustment)."""
    raw = frame["ratio"]
    ratio = pd.to_numeric(raw, errors="coerce").to_numpy(np.float64)
    bad = (np.isnan(ratio) & raw.notna().to_numpy()) | ~(np.isnan(ratio) | (ratio > 0))
    bad |= np.isinf(ratio)
    if bad.any():
        i = first_bad(bad)
        raise IngestError(
            "dividend ratio must be a finite number > 0 (or empty: no price adjustment)",
            file=label,
            row=i + 1,
            column="ratio",
            value=raw.iloc[i],
        )
    frame["ratio"] = ratio


def _check_dividends(frame: pd.DataFrame, label: str, bar_sessions: BarSessions) -> None:
    """Amounts ≥ 0; a given ``ratio`` column checked, else each ex_date needs a bar."""
    amount = pd.to_numeric(frame["amount"], errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(amount) | (amount < 0)
    if bad.any():
        i = first_bad(bad)
        raise IngestError(
            "dividend amount must be a finite number ≥ 0",
            file=label,
            row=i + 1,
            column="amount",
            value=frame["amount"].iloc[i],
        )
    frame["amount"] = amount
    if "ratio" in frame.columns:  # the source's ratios: nothing to recompute from the bars
        _check_given_ratio(frame, label)
        return
    for sid, group in frame.groupby("sid", sort=False):
        sessions = bar_sessions(int(sid))
        ex = pd.DatetimeIndex(group["ex_date"])
        missing = np.ones(len(ex), dtype=bool) if sessions is None else not_in(ex, sessions)
        if missing.any():
            i = int(group.index[first_bad(missing)])
            raise IngestError(
                f"dividend ex_date has no bar for sid {int(sid)}",
                file=label,
                row=i + 1,
                column="ex_date",
                value=str(pd.Timestamp(frame["ex_date"].iloc[i]).date()),
            )


def adjustments(
    tables: dict[str, pd.DataFrame | None],
    *,
    known_sids: set[int],
    bar_sessions: BarSessions,
    labels: dict[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Validate adjustment tables; missing tables become empty frames.

    Args:
        tables: Frames keyed by ``splits``, ``mergers``, ``dividends``, ``stock_dividends``.
        known_sids: Sids of the asset table.
        bar_sessions: sid → sessions with a bar (None when the sid has no bars).
        labels: Names of the tables for messages (e.g. the CSV path); default the key.
    """
    out: dict[str, pd.DataFrame] = {}
    for key, required in _ADJ_COLUMNS.items():
        label = (labels or {}).get(key, key)
        frame = tables.get(key)
        if frame is None or len(frame) == 0:
            if frame is not None:
                require(frame, required, label)
            frame = _empty(key)
        frame = frame.reset_index(drop=True).copy()
        require(frame, required, label)
        frame["sid"] = _int_sids(frame["sid"], label)
        date_col = required[1]
        frame[date_col] = parse_times(frame[date_col], label, date_col, utc=False).normalize()
        unknown = ~frame["sid"].isin(known_sids).to_numpy()
        if unknown.any():
            i = first_bad(unknown)
            raise IngestError(
                "unknown sid (not in the asset table)",
                file=label,
                row=i + 1,
                column="sid",
                value=int(frame["sid"].iloc[i]),
            )
        if key != "dividends":
            _check_ratio(frame, key, label)
        if key in ("dividends", "stock_dividends"):
            for col in _OPTIONAL_DATES:
                frame[col] = _optional_dates(frame, col, label)
        if key == "dividends":
            _check_dividends(frame, label, bar_sessions)
        if key == "stock_dividends":
            frame["payment_sid"] = _int_sids(frame["payment_sid"], label, "payment_sid")
        out[key] = frame
    return out
