"""Rolling-window indicators on NumPy arrays: sma, rolling mean/std/min/max.

Input is 1-D ``(bars,)`` or 2-D ``(bars, assets)`` — the shape of
``portal.history(..., return_type='array')`` — and the window runs along axis 0. The output is
float64 of the input's shape. Semantics are pandas' ``Series.rolling(window)`` /
``DataFrame.rolling(window)`` with its defaults:

- ``min_periods=window``: the first ``window - 1`` bars are NaN, and so is every bar whose
  window holds a NaN (a NaN in the middle makes exactly the next ``window`` outputs NaN);
  a window longer than the input gives all NaN; empty input gives empty output.
- ±inf counts as missing (pandas turns it into NaN before rolling), so a window holding inf
  is NaN, for min and max too.
- ``rolling_std`` uses ``ddof=1`` by default; ``ddof >= window`` gives all NaN, and a window
  of identical values gives exactly 0.0 (as pandas does).

Design: each window is reduced on its own through ``sliding_window_view`` (no copy), so the
error of one output is that of one ``window``-term sum (relative error about ``window * 2**-53``
of the window's magnitude) and never drifts along the series, unlike a cumulative-sum
difference. It matches pandas (an online compensated sum) within 1e-12 relative wherever the
window's values do not cancel; min and max are bit-identical. Cost is O(bars * window) per
asset, vectorised; rows are processed in blocks of about ``_BLOCK`` elements, which bounds
the temporary of the two-pass std.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from rustybt.indicators._args import as_float_array, check_ddof, check_window

__all__ = ["rolling_max", "rolling_mean", "rolling_min", "rolling_std", "sma"]

#: Elements (rows × assets × window) reduced per block.
_BLOCK = 1 << 22

Reducer = Callable[[NDArray[np.float64]], NDArray[np.float64]]


def _rolling(values: Any, window: object, reduce: Reducer) -> NDArray[np.float64]:
    """Apply ``reduce`` (over the last axis) to every full window; NaN before the first."""
    w = check_window(window)
    x = as_float_array(values, missing_inf=True)
    out = np.full(x.shape, np.nan)
    n = x.shape[0]
    if w > n:
        return out
    view = sliding_window_view(x, w, axis=0)  # (n - w + 1, [assets,] w)
    per_row = max(1, int(np.prod(view.shape[1:])))
    step = max(1, _BLOCK // per_row)
    with np.errstate(invalid="ignore"):
        for lo in range(0, view.shape[0], step):  # blocks of rows, not bars one by one
            out[w - 1 + lo : w - 1 + lo + step] = reduce(view[lo : lo + step])
    return out


def rolling_mean(values: Any, window: int) -> NDArray[np.float64]:
    """Mean of each ``window`` bars: ``pd.Series(values).rolling(window).mean()``.

    Args:
        values: 1-D ``(bars,)`` or 2-D ``(bars, assets)`` numbers.
        window: Bars per window, an int >= 1.

    Returns:
        float64 array of ``values``' shape; NaN where the window is not full or holds NaN/inf.
    """
    return _rolling(values, window, lambda v: v.mean(axis=-1))


def sma(values: Any, window: int) -> NDArray[np.float64]:
    """Simple moving average; the same as :func:`rolling_mean` (pandas' ``rolling(n).mean()``)."""
    return rolling_mean(values, window)


def rolling_min(values: Any, window: int) -> NDArray[np.float64]:
    """Minimum of each ``window`` bars: ``rolling(window).min()`` (NaN/inf in the window → NaN)."""
    return _rolling(values, window, lambda v: v.min(axis=-1))


def rolling_max(values: Any, window: int) -> NDArray[np.float64]:
    """Maximum of each ``window`` bars: ``rolling(window).max()`` (NaN/inf in the window → NaN)."""
    return _rolling(values, window, lambda v: v.max(axis=-1))


def rolling_std(values: Any, window: int, ddof: int = 1) -> NDArray[np.float64]:
    """Standard deviation of each ``window`` bars: ``rolling(window).std(ddof=ddof)``.

    Two-pass (mean, then squared deviations) per window. A window of identical values gives
    exactly 0.0; ``ddof >= window`` gives all NaN (no degrees of freedom), as in pandas.

    Args:
        values: 1-D ``(bars,)`` or 2-D ``(bars, assets)`` numbers.
        window: Bars per window, an int >= 1.
        ddof: Delta degrees of freedom, an int >= 0 (pandas' default 1: the sample std).
    """
    d = check_ddof(ddof)
    w = check_window(window)

    def reduce(v: NDArray[np.float64]) -> NDArray[np.float64]:
        if d >= w:
            return np.full(v.shape[:-1], np.nan)
        std = v.std(axis=-1, ddof=d)
        std[(v == v[..., :1]).all(axis=-1)] = 0.0
        return std

    return _rolling(values, w, reduce)
