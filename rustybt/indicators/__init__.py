"""Indicator helpers in plain Python: NumPy arrays, Polars expressions, exact Decimals.

No compiled code of our own (the old "Rust indicators" never existed; these are the
vectorised replacements)::

    from rustybt.indicators import sma, ema, rolling_std, fillna

    closes = portal.history(assets, "close", 60, return_type="array")   # (60, n_assets)
    fast, slow = sma(closes, 10), sma(closes, 30)                        # same shape, float64

- NumPy (:mod:`~rustybt.indicators.rolling`, :mod:`~rustybt.indicators.ema`,
  :mod:`~rustybt.indicators.fill`): ``sma``, ``rolling_mean``, ``rolling_std``,
  ``rolling_min``, ``rolling_max``, ``ema``, ``fillna``, ``window_slice`` on 1-D
  ``(bars,)`` or 2-D ``(bars, assets)`` arrays, along axis 0.
- Polars (:mod:`~rustybt.indicators.polars_`): the same eight as ``pl_sma``... taking a
  ``pl.Expr``/column name (returning an expression) or a ``pl.Series``.
- Decimal (:mod:`~rustybt.indicators.decimal_`): ``decimal_sum`` (exact) and
  ``decimal_mean`` (exact mean, rounded once under the current context).

Invariants: the results equal pandas' ``rolling(window)`` (``min_periods=window``),
``ewm(span=...)`` and ``fillna/ffill/bfill`` on the same data (NaN and ±inf missing; the
Polars versions give null where pandas gives NaN), within 1e-12 relative for sums and
exactly for min/max/fills; bad arguments raise :class:`~rustybt.errors.InvalidIndicatorArgument`
(a ``ValueError``) naming the argument. This package is a leaf: it imports NumPy, SciPy,
Polars and :mod:`rustybt.errors`, nothing from ``rustybt.data``.
"""

from __future__ import annotations

from rustybt.indicators.decimal_ import decimal_mean, decimal_sum
from rustybt.indicators.ema import ema
from rustybt.indicators.fill import fillna, window_slice
from rustybt.indicators.polars_ import ema as pl_ema
from rustybt.indicators.polars_ import fillna as pl_fillna
from rustybt.indicators.polars_ import rolling_max as pl_rolling_max
from rustybt.indicators.polars_ import rolling_mean as pl_rolling_mean
from rustybt.indicators.polars_ import rolling_min as pl_rolling_min
from rustybt.indicators.polars_ import rolling_std as pl_rolling_std
from rustybt.indicators.polars_ import sma as pl_sma
from rustybt.indicators.polars_ import window_slice as pl_window_slice
from rustybt.indicators.rolling import rolling_max, rolling_mean, rolling_min, rolling_std, sma

__all__ = [
    "decimal_mean",
    "decimal_sum",
    "ema",
    "fillna",
    "pl_ema",
    "pl_fillna",
    "pl_rolling_max",
    "pl_rolling_mean",
    "pl_rolling_min",
    "pl_rolling_std",
    "pl_sma",
    "pl_window_slice",
    "rolling_max",
    "rolling_mean",
    "rolling_min",
    "rolling_std",
    "sma",
    "window_slice",
]
