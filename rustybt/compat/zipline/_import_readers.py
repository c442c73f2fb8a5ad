"""Reading zipline's readers for :mod:`zipline_import`: assets, bars and adjustment tables.

Each function turns what a zipline reader returns into the frames ``BundleWriter`` takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from rustybt._progress import Progress
from rustybt.data.bundles._validate_tables import ASSET_COLUMNS
from rustybt.data.bundles.writer import BundleWriter

_PRICES = ("open", "high", "low", "close")
_OHLCV = (*_PRICES, "volume")
_MINUTE_CHUNK_SESSIONS = 20


# ---------------------------------------------------------------------------- assets
def asset_frames(asset_finder: Any) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The equities of a zipline finder as rustybt asset rows, plus their symbol history."""
    sids = sorted(int(s) for s in asset_finder.sids)
    equities = [a for a in asset_finder.retrieve_all(sids) if type(a).__name__ != "Future"]
    rows = []
    for a in equities:
        rows.append(
            {
                "sid": int(a.sid),
                "symbol": str(a.symbol or ""),
                "asset_name": str(getattr(a, "asset_name", "") or ""),
                "exchange": str(getattr(a, "exchange", "") or ""),
                **{
                    c: naive(getattr(a, c, None))
                    for c in ("start_date", "end_date", "first_traded", "auto_close_date")
                },
            }
        )
    assets = pd.DataFrame(
        rows,
        columns=list(ASSET_COLUMNS),
    )
    return assets, symbol_history(asset_finder, set(assets["sid"].tolist()))


def naive(value: Any) -> pd.Timestamp:
    """A naive date (zipline's csvdir stores minute-precise lifetimes for minute bundles)."""
    if value is None:
        return pd.NaT
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        return pd.NaT
    ts = ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts
    return ts.normalize()


def symbol_history(asset_finder: Any, sids: set[int]) -> pd.DataFrame | None:
    """``equity_symbol_mappings`` of a zipline asset db (None without one)."""
    engine = getattr(asset_finder, "engine", None)
    if engine is None:
        return None
    try:
        table = pd.read_sql_table("equity_symbol_mappings", engine)
    except Exception:  # a finder without zipline's schema
        return None
    table = table[table["sid"].isin(sids)]
    if table.empty:
        return None
    return pd.DataFrame(
        {
            "sid": table["sid"].astype(np.int64).to_numpy(),
            "symbol": table["symbol"].astype(str).to_numpy(),
            "start_date": pd.to_datetime(table["start_date"].to_numpy(dtype=np.int64)),
            "end_date": pd.to_datetime(table["end_date"].to_numpy(dtype=np.int64)),
        }
    )


# ---------------------------------------------------------------------------- bars
def reader_sids(reader: Any, sids: Iterable[int], probe: Callable[[Any, int], None]) -> list[int]:
    """The sids ``reader`` has data for (probing each; zipline raises for unknown sids)."""
    out = []
    for sid in sids:
        try:
            probe(reader, sid)
        except Exception:
            continue
        out.append(sid)
    return out


def probe_daily(reader: Any, sid: int) -> None:
    """Raise unless the daily reader knows ``sid``."""
    day = pd.Timestamp(reader.sessions[-1])  # (InMemoryDailyBarReader.last_available_dt breaks)
    reader.load_raw_arrays(["close"], day, day, [sid])


def probe_minute(reader: Any, sid: int) -> None:
    """Raise unless the minute reader knows ``sid``."""
    last = pd.Timestamp(reader.last_available_dt)
    reader.load_raw_arrays(["close"], last, last, [sid])


def split_bars(
    times: pd.DatetimeIndex, arrays: list[np.ndarray], sids: list[int], time_col: str
) -> Iterable[tuple[int, pd.DataFrame, int]]:
    """Per sid: zipline's bars, and how many of them miss some price.

    A row is a bar when zipline has any price or a volume there (its ``last_traded`` counts
    volume); a price zipline stores as 0 reads NaN and stays NaN in that field only.
    """
    prices = np.stack(arrays[:4])  # (4, T, N)
    volume = np.nan_to_num(arrays[4])
    present = np.isfinite(prices)
    full = present.all(axis=0)
    bar = present.any(axis=0) | (volume > 0)
    for j, sid in enumerate(sids):
        keep = bar[:, j]
        frame = pd.DataFrame(
            {
                time_col: times[keep],
                **{f: prices[i, keep, j] for i, f in enumerate(_PRICES)},
                "volume": volume[keep, j].astype(np.int64),
            }
        )
        yield sid, frame, int((keep & ~full[:, j]).sum())


def write_daily(writer: BundleWriter, reader: Any, sids: list[int], summary: Any) -> None:
    """Every daily bar of ``sids`` into ``writer`` (counted in ``summary``)."""
    sessions = pd.DatetimeIndex(reader.sessions)
    arrays = reader.load_raw_arrays(list(_OHLCV), sessions[0], sessions[-1], sids)
    with Progress(len(sids), "zipline daily bars", enabled=writer.show_progress,
                  unit="asset") as bar:
        for sid, frame, partial in split_bars(sessions, arrays, sids, "date"):
            summary.partial_bars += partial
            if len(frame):
                writer.write_daily_bars(
                    sid, frame, label=f"zipline daily bars of sid {sid}", missing_prices=True
                )
                summary.daily_bars += len(frame)
            bar.update()


def write_minute(writer: BundleWriter, reader: Any, sids: list[int], summary: Any) -> None:
    """Every minute bar of ``sids`` into ``writer``, read a few sessions at a time."""
    calendar = reader.trading_calendar
    first = pd.Timestamp(reader.first_trading_day)
    last = calendar.minute_to_session(pd.Timestamp(reader.last_available_dt))
    sessions = calendar.sessions_in_range(first, last)
    parts: dict[int, list[pd.DataFrame]] = {sid: [] for sid in sids}
    with Progress(len(sessions), "zipline minute bars", enabled=writer.show_progress,
                  unit="session") as bar:
        for i in range(0, len(sessions), _MINUTE_CHUNK_SESSIONS):
            chunk = sessions[i : i + _MINUTE_CHUNK_SESSIONS]
            minutes = calendar.sessions_minutes(chunk[0], chunk[-1])
            arrays = reader.load_raw_arrays(list(_OHLCV), minutes[0], minutes[-1], sids)
            for sid, frame, partial in split_bars(pd.DatetimeIndex(minutes), arrays, sids, "dt"):
                summary.partial_bars += partial
                if len(frame):
                    parts[sid].append(frame)
            bar.update(len(chunk))
    for sid, frames in parts.items():
        if frames:
            bars = pd.concat(frames, ignore_index=True)
            writer.write_minute_bars(
                sid, bars, label=f"zipline minute bars of sid {sid}", missing_prices=True
            )
            summary.minute_bars += len(bars)


# ---------------------------------------------------------------------------- adjustments
def adjustment_frames(adjustment_reader: Any, summary: Any) -> dict[str, pd.DataFrame]:
    """zipline's adjustment tables for ``BundleWriter.write_adjustments``.

    Each dividend payout carries the ratio zipline stored for it (its ``dividends`` table,
    matched by sid and ex_date; NaN where zipline stored none, i.e. applies none). A stored
    ratio without a payout becomes a payout of amount 0 (counted in ``summary``), so prices
    adjust exactly as in zipline and the ledger earns nothing from it, as in zipline.
    """
    tables = adjustment_reader.unpack_db_to_component_dfs(convert_dates=True)
    splits = tables["splits"][["sid", "effective_date", "ratio"]]
    mergers = tables["mergers"][["sid", "effective_date", "ratio"]]
    stock = tables["stock_dividend_payouts"][["sid", *_DIV_DATES, "payment_sid", "ratio"]]
    div, ratio_only = dividends_with_ratios(
        tables["dividend_payouts"], tables["dividends"]
    )
    summary.ratio_only_dividends += ratio_only
    out = {"splits": splits, "mergers": mergers, "dividends": div, "stock_dividends": stock}
    summary.adjustments = {k: len(v) for k, v in out.items()}
    return out


_DIV_DATES = ("ex_date", "record_date", "declared_date", "pay_date")


def dividends_with_ratios(payouts: pd.DataFrame, ratios: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """zipline's payouts with its stored ratios (sid, effective_date, ratio) as ``ratio``.

    The n-th payout of a (sid, ex_date) takes the n-th stored ratio of that (sid, date).

    Returns:
        The dividends frame and how many stored ratios had no payout (added with amount 0).
    """
    pay = payouts[["sid", *_DIV_DATES, "amount"]].copy()
    pay["sid"] = pay["sid"].astype(np.int64)
    pay["date"] = pd.to_datetime(pay["ex_date"]).dt.normalize()
    pay = pay.sort_values(["sid", "date"], kind="stable").reset_index(drop=True)
    pay["n"] = pay.groupby(["sid", "date"]).cumcount()
    rat = pd.DataFrame(
        {
            "sid": ratios["sid"].astype(np.int64).to_numpy(),
            "date": pd.to_datetime(ratios["effective_date"]).dt.normalize().to_numpy(),
            "ratio": ratios["ratio"].astype(np.float64).to_numpy(),
        }
    )
    rat["n"] = rat.groupby(["sid", "date"]).cumcount()
    merged = pay.merge(rat, on=["sid", "date", "n"], how="outer", indicator=True)
    orphan = (merged["_merge"] == "right_only").to_numpy()
    merged.loc[orphan, "ex_date"] = merged.loc[orphan, "date"]
    merged.loc[orphan, "amount"] = 0.0
    merged = merged.sort_values(["sid", "date", "n"], kind="stable").reset_index(drop=True)
    return merged[["sid", *_DIV_DATES, "amount", "ratio"]], int(orphan.sum())
