"""BundleAdjustmentReader: zipline's ``SQLiteAdjustmentReader`` interface over a bundle.

The portal exposes it as ``adjustment_reader`` (see :class:`~.protocol.DataPortalLike`):
zipline's ledger asks it for the cash and stock dividends going ex on the next session. It
reads the bundle's Parquet tables once (pandas) and returns records with zipline's field
names; :mod:`rustybt.compat.zipline.adjustment_reader` subclasses it to return zipline's own
record classes when zipline is installed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from rustybt.data.bundles.protocol import BundleLike

__all__ = ["BundleAdjustmentReader", "Dividend", "StockDividend"]


class Dividend(NamedTuple):
    """A cash dividend going ex (zipline's ``Dividend`` fields)."""

    asset: Any
    amount: float
    pay_date: pd.Timestamp


class StockDividend(NamedTuple):
    """A stock dividend going ex (zipline's ``StockDividend`` fields)."""

    asset: Any
    payment_asset: Any
    ratio: float
    pay_date: pd.Timestamp


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        return pd.NaT
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _naive_ns(value: Any) -> int:
    if type(value) is pd.Timestamp and value.tzinfo is None and value.unit == "ns":
        return int(value.value)  # a session label: the engine asks with one every session
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.as_unit("ns").value)


class BundleAdjustmentReader:
    """Splits, mergers and dividends of a rustybt bundle, read like zipline's SQLite reader.

    Args:
        bundle: A rustybt :class:`~rustybt.data.bundles.Bundle` (any ``BundleLike``).

    Attributes:
        dividend_type: Record class of cash dividends (fields asset, amount, pay_date).
        stock_dividend_type: Record class of stock dividends (asset, payment_asset, ratio,
            pay_date).
    """

    dividend_type: Any = Dividend
    stock_dividend_type: Any = StockDividend

    def __init__(self, bundle: BundleLike) -> None:
        self.bundle = bundle
        self._tables: dict[str, pd.DataFrame] | None = None
        self._by_ex_date: dict[str, dict[int, list[dict[str, Any]]]] = {}

    def _load(self) -> dict[str, pd.DataFrame]:
        if self._tables is None:
            b = self.bundle
            dividends = b.read_dividends()
            self._tables = {
                "splits": b.read_splits(),
                "mergers": b.read_mergers(),
                "dividends": pd.DataFrame(
                    {
                        "sid": dividends["sid"],
                        "effective_date": dividends["ex_date"],
                        "ratio": dividends["ratio"],
                    }
                )[dividends["ratio"].notna().to_numpy()],
                "dividend_payouts": dividends.drop(columns=["ratio"]),
                "stock_dividend_payouts": b.read_stock_dividends(),
            }
        return self._tables

    def unpack_db_to_component_dfs(self, convert_dates: bool = True) -> dict[str, pd.DataFrame]:
        """Every table as a DataFrame (dates as naive Timestamps; ``convert_dates`` accepted)."""
        return {k: v.copy() for k, v in self._load().items()}

    def get_adjustments_for_sid(self, table_name: str, sid: int) -> list[list[Any]]:
        """``[[effective_date, ratio], ...]`` of one table (splits, mergers, dividends)."""
        table = self._load()[table_name]
        rows = table[table["sid"].to_numpy() == int(sid)]
        return [
            [pd.Timestamp(d), float(r)]
            for d, r in zip(rows["effective_date"], rows["ratio"], strict=True)
        ]

    def _rows_on(self, table: str, assets: Iterable[Any], date: Any) -> list[dict[str, Any]]:
        """Rows of ``table`` going ex on ``date`` for ``assets``, as dicts (often none)."""
        # An engine asks once per session: index the rows by ex-date once, so a date without
        # dividends costs a dict lookup (measured: 8 ms → 2 µs per call on a 10-asset bundle).
        by_ex = self._by_ex_date.get(table)
        if by_ex is None:
            frame = self._load()[table]
            ex = frame["ex_date"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
            records = frame.to_dict("records")
            by_ex = {}
            for ns, record in zip(ex.tolist(), records, strict=True):
                by_ex.setdefault(ns, []).append(record)
            self._by_ex_date[table] = by_ex
        rows = by_ex.get(_naive_ns(date))
        if not rows:
            return []
        sids = {int(a) for a in assets}
        return [row for row in rows if int(row["sid"]) in sids]

    def get_dividends_with_ex_date(
        self, assets: Iterable[Any], date: Any, asset_finder: Any
    ) -> list[Any]:
        """Cash dividends going ex on ``date`` for ``assets`` (zipline's ``Dividend`` records)."""
        return [
            self.dividend_type(asset_finder.retrieve_asset(int(row["sid"])),
                               float(row["amount"]), _utc(row["pay_date"]))
            for row in self._rows_on("dividend_payouts", assets, date)
        ]

    def get_stock_dividends_with_ex_date(
        self, assets: Iterable[Any], date: Any, asset_finder: Any
    ) -> list[Any]:
        """Stock dividends going ex on ``date`` (zipline's ``StockDividend`` records)."""
        return [
            self.stock_dividend_type(
                asset_finder.retrieve_asset(int(row["sid"])),
                asset_finder.retrieve_asset(int(row["payment_sid"])),
                float(row["ratio"]),
                _utc(row["pay_date"]),
            )
            for row in self._rows_on("stock_dividend_payouts", assets, date)
        ]

    def close(self) -> None:
        """Nothing to release (kept for zipline's interface)."""

    def __repr__(self) -> str:
        return f"BundleAdjustmentReader({self.bundle!r})"
