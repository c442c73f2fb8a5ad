"""Input validation for ingest. Every problem raises IngestError naming file/row/column/value.

Rows are numbered from 1 in input order (the CSV header is not a row).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from rustybt.data.bundles.errors import IngestError

PRICE_COLUMNS = ("open", "high", "low", "close")
BAR_COLUMNS = (*PRICE_COLUMNS, "volume")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], label: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise IngestError(
            f"missing required column(s) {missing}; found {list(frame.columns)}", file=label
        )


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _parse_times(values: pd.Series, label: str, column: str, *, utc: bool) -> pd.DatetimeIndex:
    parsed = pd.to_datetime(values, errors="coerce", utc=utc)
    bad = parsed.isna().to_numpy() & values.notna().to_numpy() | values.isna().to_numpy()
    if bad.any():
        i = _first_bad(bad)
        raise IngestError(
            "unparseable date", file=label, row=i + 1, column=column, value=values.iloc[i]
        )
    return pd.DatetimeIndex(parsed)


def _check_order(idx: pd.DatetimeIndex, label: str, column: str) -> None:
    if len(idx) < 2:
        return
    diffs = np.diff(idx.asi8)
    if (diffs == 0).any():
        i = _first_bad(diffs == 0) + 1
        raise IngestError("duplicate date", file=label, row=i + 1, column=column, value=str(idx[i]))
    if (diffs < 0).any():
        i = _first_bad(diffs < 0) + 1
        raise IngestError(
            f"dates are not increasing (previous row has {idx[i - 1]})",
            file=label,
            row=i + 1,
            column=column,
            value=str(idx[i]),
        )


def _check_values(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    out = {}
    for col in BAR_COLUMNS:
        raw = frame[col]
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna().to_numpy() & raw.notna().to_numpy()
        if bad.any():
            i = _first_bad(bad)
            raise IngestError("not a number", file=label, row=i + 1, column=col, value=raw.iloc[i])
        out[col] = num.to_numpy(dtype=np.float64)
    for col in PRICE_COLUMNS:
        v = out[col]
        bad = ~np.isfinite(v)
        if bad.any():
            i = _first_bad(bad)
            raise IngestError("price is not finite", file=label, row=i + 1, column=col, value=v[i])
        bad = v < 0
        if bad.any():
            i = _first_bad(bad)
            raise IngestError("negative price", file=label, row=i + 1, column=col, value=v[i])
    o, h, lo, c = (out[k] for k in PRICE_COLUMNS)
    bad = h < np.maximum(o, c)
    if bad.any():
        i = _first_bad(bad)
        raise IngestError(
            f"high < max(open, close) (open={o[i]}, close={c[i]})",
            file=label,
            row=i + 1,
            column="high",
            value=h[i],
        )
    bad = lo > np.minimum(o, c)
    if bad.any():
        i = _first_bad(bad)
        raise IngestError(
            f"low > min(open, close) (open={o[i]}, close={c[i]})",
            file=label,
            row=i + 1,
            column="low",
            value=lo[i],
        )
    vol = out["volume"]
    bad = ~np.isfinite(vol)
    if bad.any():
        i = _first_bad(bad)
        raise IngestError(
            "volume is not finite", file=label, row=i + 1, column="volume", value=vol[i]
        )
    bad = vol < 0
    if bad.any():
        i = _first_bad(bad)
        raise IngestError("negative volume", file=label, row=i + 1, column="volume", value=vol[i])
    bad = vol != np.round(vol)
    if bad.any():
        i = _first_bad(bad)
        raise IngestError(
            "volume is not an integer", file=label, row=i + 1, column="volume", value=vol[i]
        )
    return pd.DataFrame({k: out[k] for k in PRICE_COLUMNS} | {"volume": vol.astype(np.int64)})


def _time_column(bars: pd.DataFrame, names: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
    for name in names:
        if name in bars.columns:
            return bars.reset_index(drop=True), name
    if isinstance(bars.index, pd.DatetimeIndex) or bars.index.name in names:
        col = bars.index.name or names[0]
        return bars.rename_axis(col).reset_index(), col
    return bars.reset_index(drop=True), names[0]


def daily_bars(bars: pd.DataFrame, calendar: Any, label: str) -> pd.DataFrame:
    """Validate one asset's daily bars; returns (date, open, high, low, close, volume)."""
    frame, col = _time_column(bars, ("date", "day", "session", "dt"))
    _require(frame, (col, *BAR_COLUMNS), label)
    if len(frame) == 0:
        return pd.DataFrame({"date": pd.DatetimeIndex([]), **{c: [] for c in BAR_COLUMNS}})
    idx = _parse_times(frame[col], label, col, utc=False)
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    not_midnight = idx != idx.normalize()
    if not_midnight.any():
        i = _first_bad(np.asarray(not_midnight))
        raise IngestError(
            "daily bar date has a time of day", file=label, row=i + 1, column=col, value=str(idx[i])
        )
    _check_order(idx, label, col)
    sessions = calendar.sessions
    if idx[0] < sessions[0] or idx[-1] > sessions[-1]:
        i = 0 if idx[0] < sessions[0] else len(idx) - 1
        raise IngestError(
            f"date outside the calendar's range {sessions[0].date()}..{sessions[-1].date()}",
            file=label,
            row=i + 1,
            column=col,
            value=str(idx[i].date()),
        )
    off = ~idx.isin(sessions)
    if off.any():
        i = _first_bad(np.asarray(off))
        raise IngestError(
            f"date is not a {calendar.name} session",
            file=label,
            row=i + 1,
            column=col,
            value=str(idx[i].date()),
        )
    values = _check_values(frame, label)
    values.insert(0, "date", idx)
    return values


def minute_bars(bars: pd.DataFrame, calendar: Any, label: str) -> pd.DataFrame:
    """Validate one asset's minute bars; returns (dt [UTC], open, high, low, close, volume)."""
    frame, col = _time_column(bars, ("dt", "date", "minute", "datetime"))
    _require(frame, (col, *BAR_COLUMNS), label)
    if len(frame) == 0:
        return pd.DataFrame({"dt": pd.DatetimeIndex([], tz="UTC"), **{c: [] for c in BAR_COLUMNS}})
    idx = _parse_times(frame[col], label, col, utc=True)
    _check_order(idx, label, col)
    minutes = calendar.minutes
    if idx[0] < minutes[0] or idx[-1] > minutes[-1]:
        i = 0 if idx[0] < minutes[0] else len(idx) - 1
        raise IngestError(
            f"minute outside the calendar's range {minutes[0]}..{minutes[-1]}",
            file=label,
            row=i + 1,
            column=col,
            value=str(idx[i]),
        )
    off = ~idx.isin(minutes)
    if off.any():
        i = _first_bad(np.asarray(off))
        raise IngestError(
            f"minute is not a {calendar.name} trading minute (right-labelled, UTC)",
            file=label,
            row=i + 1,
            column=col,
            value=str(idx[i]),
        )
    values = _check_values(frame, label)
    values.insert(0, "dt", idx)
    return values


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


def assets(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate the asset table; fills optional columns."""
    label = "assets"
    _require(frame, ("sid", "symbol"), label)
    out = frame.reset_index(drop=True).copy()
    sids = pd.to_numeric(out["sid"], errors="coerce")
    bad = sids.isna().to_numpy() | (sids.to_numpy() != np.round(sids.to_numpy()))
    if bad.any():
        i = _first_bad(bad)
        raise IngestError(
            "sid is not an integer", file=label, row=i + 1, column="sid", value=out["sid"].iloc[i]
        )
    out["sid"] = sids.astype(np.int64)
    dup = out["sid"].duplicated().to_numpy()
    if dup.any():
        i = _first_bad(dup)
        raise IngestError(
            "duplicate sid", file=label, row=i + 1, column="sid", value=int(out["sid"].iloc[i])
        )
    for col in ("asset_name", "exchange"):
        if col not in out.columns:
            out[col] = ""
        out[col] = out[col].fillna("")
    for col in ("start_date", "end_date", "first_traded", "auto_close_date"):
        if col not in out.columns:
            out[col] = pd.NaT
        out[col] = pd.to_datetime(out[col])
    if out["auto_close_date"].isna().all():
        out["auto_close_date"] = out["end_date"] + pd.Timedelta(days=1)
    bad = (out["end_date"] < out["start_date"]).to_numpy()
    if bad.any():
        i = _first_bad(bad)
        raise IngestError(
            "end_date before start_date",
            file=label,
            row=i + 1,
            column="end_date",
            value=str(out["end_date"].iloc[i]),
        )
    return out[list(ASSET_COLUMNS)]


def symbol_history(frame: pd.DataFrame, asset_table: pd.DataFrame) -> pd.DataFrame:
    """Validate (sid, symbol, start_date, end_date) spans against the asset table."""
    label = "symbol_history"
    _require(frame, ("sid", "symbol", "start_date", "end_date"), label)
    out = frame.reset_index(drop=True).copy()
    known = set(asset_table["sid"].tolist())
    bad = ~out["sid"].isin(known).to_numpy()
    if bad.any():
        i = _first_bad(bad)
        raise IngestError(
            "unknown sid", file=label, row=i + 1, column="sid", value=out["sid"].iloc[i]
        )
    out["start_date"] = pd.to_datetime(out["start_date"])
    out["end_date"] = pd.to_datetime(out["end_date"])
    return out


_ADJ_COLUMNS: dict[str, tuple[str, ...]] = {
    "splits": ("sid", "effective_date", "ratio"),
    "mergers": ("sid", "effective_date", "ratio"),
    "dividends": ("sid", "ex_date", "amount"),
    "stock_dividends": ("sid", "ex_date", "payment_sid", "ratio"),
}
_OPTIONAL_DATES = ("record_date", "declared_date", "pay_date")


def adjustments(
    tables: dict[str, pd.DataFrame | None],
    *,
    known_sids: set[int],
    bar_dates: Callable[[int], pd.DatetimeIndex | None],
) -> dict[str, pd.DataFrame]:
    """Validate adjustment tables; missing tables become empty frames."""
    out: dict[str, pd.DataFrame] = {}
    for key, required in _ADJ_COLUMNS.items():
        frame = tables.get(key)
        date_col = required[1]
        if frame is None:
            frame = pd.DataFrame({c: [] for c in required})
        frame = frame.reset_index(drop=True).copy()
        _require(frame, required, key)
        if len(frame) == 0:
            frame = pd.DataFrame({c: pd.Series([], dtype="float64") for c in required})
        frame["sid"] = pd.to_numeric(frame["sid"]).astype(np.int64)
        frame[date_col] = (
            _parse_times(frame[date_col].astype(object), key, date_col, utc=False)
            if len(frame)
            else pd.to_datetime(frame[date_col])
        )
        unknown = ~frame["sid"].isin(known_sids).to_numpy()
        if unknown.any():
            i = _first_bad(unknown)
            raise IngestError(
                "unknown sid (not in the asset table)",
                file=key,
                row=i + 1,
                column="sid",
                value=int(frame["sid"].iloc[i]),
            )
        if key in ("splits", "mergers", "stock_dividends"):
            ratio = pd.to_numeric(frame["ratio"], errors="coerce").to_numpy(np.float64)
            bad = ~(ratio > 0)
            if bad.any():
                i = _first_bad(bad)
                raise IngestError(
                    "ratio must be > 0",
                    file=key,
                    row=i + 1,
                    column="ratio",
                    value=frame["ratio"].iloc[i],
                )
            frame["ratio"] = ratio
        if key in ("dividends", "stock_dividends"):
            for col in _OPTIONAL_DATES:
                frame[col] = pd.to_datetime(frame[col]) if col in frame.columns else pd.NaT
        if key == "dividends":
            amount = pd.to_numeric(frame["amount"], errors="coerce").to_numpy(np.float64)
            bad = ~np.isfinite(amount) | (amount < 0)
            if bad.any():
                i = _first_bad(bad)
                raise IngestError(
                    "dividend amount must be a finite number ≥ 0",
                    file=key,
                    row=i + 1,
                    column="amount",
                    value=frame["amount"].iloc[i],
                )
            frame["amount"] = amount
            for i, (sid, ex) in enumerate(zip(frame["sid"], frame["ex_date"], strict=True)):
                dates = bar_dates(int(sid))
                if dates is None or pd.Timestamp(ex) not in dates:
                    raise IngestError(
                        f"dividend ex_date has no daily bar for sid {int(sid)}",
                        file=key,
                        row=i + 1,
                        column="ex_date",
                        value=str(pd.Timestamp(ex).date()),
                    )
        if key == "stock_dividends":
            frame["payment_sid"] = pd.to_numeric(frame["payment_sid"]).astype(np.int64)
        out[key] = frame
    return out
