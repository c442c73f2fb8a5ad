"""Array plumbing for indicators on NumPy arrays: ``fillna`` and ``window_slice``.

Both work along axis 0 of a 1-D ``(bars,)`` or 2-D ``(bars, assets)`` array, each asset on
its own.

``fillna`` has pandas' ``fillna(value)`` / ``ffill()`` / ``bfill()`` semantics: only NaN is
missing (±inf is a value, as in pandas' ``isna``); ``ffill`` leaves leading NaNs and ``bfill``
trailing NaNs in place; there is no limit. The result is a new float64 array; forward and
backward fills are vectorised (a running maximum of valid positions), not loops over bars.

``window_slice(values, start, end)`` is ``values[start:end]`` with the bounds checked: it
refuses negative or out-of-range positions instead of wrapping or clamping them as Python
slicing would, and returns a view (no copy) of any NumPy array.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from rustybt.indicators._args import as_float_array, check_bounds, check_fill

__all__ = ["fillna", "window_slice"]


def fillna(
    values: Any,
    value: float | None = None,
    *,
    method: Literal["ffill", "bfill"] | None = None,
) -> NDArray[np.float64]:
    """NaNs replaced by ``value``, or by the previous (``'ffill'``) or next (``'bfill'``) value.

    Args:
        values: 1-D ``(bars,)`` or 2-D ``(bars, assets)`` numbers.
        value: The fill value (exactly one of ``value`` and ``method``).
        method: ``'ffill'`` (pandas ``ffill()``) or ``'bfill'`` (pandas ``bfill()``).

    Returns:
        A new float64 array of ``values``' shape.
    """
    check_fill(value, method)
    x = as_float_array(values, missing_inf=False)
    if value is not None:
        return np.where(np.isnan(x), float(value), x)
    if method == "bfill":
        return ffill(x[::-1])[::-1].copy()
    return ffill(x)


def ffill(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """NaNs replaced by the previous non-NaN value along axis 0 (leading NaNs kept)."""
    n = x.shape[0]
    shape = (n,) + (1,) * (x.ndim - 1)
    positions = np.where(np.isnan(x), 0, np.arange(n).reshape(shape))
    source = np.maximum.accumulate(positions, axis=0)
    out = np.take_along_axis(x, source, axis=0)
    # Leading NaNs point at row 0, itself NaN: they stay NaN, as in pandas.
    return np.asarray(out, dtype=np.float64)


def window_slice(values: Any, start: int, end: int | None = None) -> Any:
    """Bars ``start`` (inclusive) to ``end`` (exclusive, default: the end) along axis 0.

    Args:
        values: Anything with a length and slicing along its first axis (an array, a list).
        start: First position, ``0 <= start <= end``.
        end: One past the last position, ``<= len(values)``; None for ``len(values)``.

    Returns:
        ``values[start:end]`` (a view for NumPy arrays).

    Raises:
        InvalidIndicatorArgument: a bound that is not an int or lies outside the data.
    """
    lo, hi = check_bounds(start, end, len(values))
    return values[lo:hi]
