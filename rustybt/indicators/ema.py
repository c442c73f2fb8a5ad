"""Exponential moving average on NumPy arrays, with pandas' ``ewm(span=...)`` semantics.

``ema(values, span)`` is ``pd.Series(values).ewm(span=span, adjust=False).mean()``: the
recursive EMA ``y[t] = (1 - alpha) * y[t-1] + alpha * x[t]`` with ``alpha = 2 / (span + 1)``,
started at the first valid value (no SMA seed). ``adjust=True`` gives pandas' *default*
``ewm(span=span).mean()`` instead: the weighted mean of every value so far with weights
``(1 - alpha)**age``. The default here is ``adjust=False`` because that is the EMA of
technical analysis; code translated from ``series.ewm(span=n).mean()`` needs ``adjust=True``.

Other pandas defaults kept: ``min_periods=0`` (output from the first valid value on) and
``ignore_na=False``: a NaN (or ±inf, which pandas treats as missing) gives the previous
output, and the values before it keep decaying by ``1 - alpha`` per bar while it lasts.
Leading NaNs stay NaN; an all-NaN column stays all NaN.

Design: 1-D ``(bars,)`` or 2-D ``(bars, assets)``, along axis 0. Both recursions are linear
filters run by ``scipy.signal.lfilter`` over all assets at once, except ``adjust=False`` on a
column with a NaN *between* valid values, whose per-gap renormalisation is not a linear
filter: those columns go through pandas' own recurrence in a loop over bars, vectorised
across them (bit-identical to pandas). The filtered results agree with pandas within a few
ulps of the output's magnitude (1e-12 relative unless the series cancels towards zero).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

from rustybt.indicators._args import as_float_array, check_span
from rustybt.indicators.fill import ffill

__all__ = ["ema"]


def ema(values: Any, span: float, *, adjust: bool = False) -> NDArray[np.float64]:
    """Exponential moving average: ``ewm(span=span, adjust=adjust).mean()``.

    Args:
        values: 1-D ``(bars,)`` or 2-D ``(bars, assets)`` numbers.
        span: Real number >= 1; ``alpha = 2 / (span + 1)`` (``span=1`` returns the input).
        adjust: False (default): the recursive EMA. True: pandas' default weighted mean.

    Returns:
        float64 array of ``values``' shape (NaN before each column's first valid value).
    """
    alpha = check_span(span)
    x = as_float_array(values, missing_inf=True)
    flat = x if x.ndim == 2 else x[:, None]
    out = _ema_adjusted(flat, alpha) if adjust else _ema_recursive(flat, alpha)
    return out.reshape(x.shape)


def _ema_adjusted(x: NDArray[np.float64], alpha: float) -> NDArray[np.float64]:
    """Weighted mean with weights ``(1 - alpha)**age`` over the valid values so far."""
    valid = ~np.isnan(x)
    a = [1.0, -(1.0 - alpha)]
    num = lfilter([1.0], a, np.where(valid, x, 0.0), axis=0)
    den = lfilter([1.0], a, valid.astype(np.float64), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(valid, num / den, np.nan)
    # A missing bar repeats the previous output (num and den decay alike; with span=1 or a
    # long gap they reach 0 and 0/0 would be NaN).
    return ffill(np.asarray(out, dtype=np.float64))


def _ema_recursive(x: NDArray[np.float64], alpha: float) -> NDArray[np.float64]:
    """``adjust=False``: linear filter where NaNs only lead or trail, pandas' loop elsewhere."""
    n, k = x.shape
    out = np.full((n, k), np.nan)
    if n == 0:
        return out
    valid = ~np.isnan(x)
    any_valid = valid.any(axis=0)
    first = np.where(any_valid, valid.argmax(axis=0), n)
    last = np.where(any_valid, n - 1 - valid[::-1].argmax(axis=0), -1)
    inner_nan = (last - first + 1) > valid.sum(axis=0)
    simple = any_valid & ~inner_nan
    if simple.any():
        xs = x[:, simple]
        f, lst = first[simple], last[simple]
        seed = xs[f, np.arange(xs.shape[1])]
        rows = np.arange(n)[:, None]
        # Leading bars repeat the first value, so the filter enters it already at rest.
        filled = np.where(rows < f, seed, np.where(rows > lst, 0.0, xs))
        beta = 1.0 - alpha
        zi = (beta * seed)[None, :]
        y, _ = lfilter([alpha], [1.0, -beta], filled, axis=0, zi=zi)
        y = np.where(rows > lst, y[lst, np.arange(xs.shape[1])], y)  # trailing NaNs carry
        y[rows < f] = np.nan
        out[:, simple] = y
    if inner_nan.any():
        out[:, inner_nan] = _pandas_recurrence(x[:, inner_nan], alpha)
    return out


def _pandas_recurrence(x: NDArray[np.float64], alpha: float) -> NDArray[np.float64]:
    """pandas' ``ewm(adjust=False, ignore_na=False).mean()`` loop, across columns at once."""
    beta = 1.0 - alpha
    out = np.empty_like(x)
    weighted = x[0].copy()
    old_wt = np.ones(x.shape[1])
    out[0] = weighted
    for i in range(1, x.shape[0]):  # one step per bar, vectorised over the columns
        cur = x[i]
        obs = ~np.isnan(cur)
        has = ~np.isnan(weighted)
        old_wt = np.where(has, old_wt * beta, old_wt)
        update = has & obs & (weighted != cur)
        with np.errstate(invalid="ignore"):
            mixed = (old_wt * weighted + alpha * cur) / (old_wt + alpha)
        weighted = np.where(update, mixed, weighted)
        old_wt = np.where(has & obs, 1.0, old_wt)
        weighted = np.where(~has & obs, cur, weighted)
        out[i] = weighted
    return out
