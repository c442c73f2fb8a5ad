"""BundleAdjustmentReader: zipline's ``SQLiteAdjustmentReader`` interface over a rustybt bundle.

The DataPortal shim exposes it as ``adjustment_reader`` when it was built from rustybt readers
without a zipline adjustment reader, so zipline's ledger (which asks the portal's
``adjustment_reader`` for the dividends going ex on the next session) earns and pays the bundle's
cash and stock dividends exactly as with zipline's own reader.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BundleAdjustmentReader", "Dividend", "StockDividend"]

try:  # the same record types zipline's reader returns, when zipline is installed
    from zipline.data.adjustments import Dividend, StockDividend
except ImportError:  # pragma: no cover - zipline is part of the dev extra
    Dividend = namedtuple("Dividend", ["asset", "amount", "pay_date"])  # type: ignore[no-redef]
    StockDividend = namedtuple(  # type: ignore[no-redef]
        "StockDividend", ["asset", "payment_asset", "ratio", "pay_date"]
    )


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        return pd.NaT
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _naive_ns(value: Any) -> int:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.as_unit("ns").value)


class BundleAdjustmentReader:
    """Splits, mergers and dividends of a rustybt bundle, read like zipline's SQLite reader.

    Args:
        bundle: A rustybt :class:`~rustybt.data.bundles.Bundle`.
    """

    def __init__(self, bundle: Any) -> None:
        self.bundle = bundle
        self._tables: dict[str, pd.DataFrame] | None = None

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

    def _rows_on(self, table: str, assets: Iterable[Any], date: Any) -> pd.DataFrame:
        frame = self._load()[table]
        sids = np.fromiter((int(a) for a in assets), dtype=np.int64)
        ex = frame["ex_date"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        mask = (ex == _naive_ns(date)) & np.isin(frame["sid"].to_numpy(np.int64), sids)
        return frame[mask]

    def get_dividends_with_ex_date(
        self, assets: Iterable[Any], date: Any, asset_finder: Any
    ) -> list[Any]:
        """Cash dividends going ex on ``date`` for ``assets`` (zipline's ``Dividend`` records)."""
        rows = self._rows_on("dividend_payouts", assets, date)
        return [
            Dividend(asset_finder.retrieve_asset(int(s)), float(a), _utc(p))
            for s, a, p in zip(rows["sid"], rows["amount"], rows["pay_date"], strict=True)
        ]

    def get_stock_dividends_with_ex_date(
        self, assets: Iterable[Any], date: Any, asset_finder: Any
    ) -> list[Any]:
        """Stock dividends going ex on ``date`` (zipline's ``StockDividend`` records)."""
        rows = self._rows_on("stock_dividend_payouts", assets, date)
        return [
            StockDividend(
                asset_finder.retrieve_asset(int(s)),
                asset_finder.retrieve_asset(int(ps)),
                float(r),
                _utc(p),
            )
            for s, ps, r, p in zip(
                rows["sid"], rows["payment_sid"], rows["ratio"], rows["pay_date"], strict=True
            )
        ]

    def close(self) -> None:
        """Nothing to release (kept for zipline's interface)."""

    def __repr__(self) -> str:
        return f"BundleAdjustmentReader({self.bundle!r})"
