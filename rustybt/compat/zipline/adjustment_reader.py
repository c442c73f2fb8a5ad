"""BundleAdjustmentReader: zipline's ``SQLiteAdjustmentReader`` interface over a rustybt bundle.

The DataPortal shim exposes it as ``adjustment_reader`` when it was built from rustybt readers
without a zipline adjustment reader, so zipline's ledger (which asks the portal's
``adjustment_reader`` for the dividends going ex on the next session) earns and pays the bundle's
cash and stock dividends exactly as with zipline's own reader. The implementation lives in the
data layer (:mod:`rustybt.data.portal.adjustment_reader`); this subclass returns zipline's own
record classes when zipline is installed.
"""

from __future__ import annotations

from typing import Any

from rustybt.data.portal import adjustment_reader as _base

__all__ = ["BundleAdjustmentReader", "Dividend", "StockDividend"]

try:  # the same record types zipline's reader returns, when zipline is installed
    from zipline.data.adjustments import Dividend, StockDividend
except ImportError:  # pragma: no cover - zipline is part of the dev extra
    Dividend: Any = _base.Dividend  # type: ignore[no-redef]
    StockDividend: Any = _base.StockDividend  # type: ignore[no-redef]


class BundleAdjustmentReader(_base.BundleAdjustmentReader):
    """Splits, mergers and dividends of a rustybt bundle, read like zipline's SQLite reader.

    Args:
        bundle: A rustybt :class:`~rustybt.data.bundles.Bundle` (any ``BundleLike``).
    """

    dividend_type = Dividend
    stock_dividend_type = StockDividend
