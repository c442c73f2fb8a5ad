"""Indicators as Polars expressions, with the pandas semantics of the NumPy versions.

Each function takes a column (``pl.Expr`` or a column name) and returns a ``pl.Expr``, so it
works in ``select``/``with_columns`` on eager and lazy frames (``pl.exclude('date')`` applies
it to every asset column of ``history(..., return_type='polars')``); given a ``pl.Series`` it
returns a ``pl.Series``. ``rustybt.indicators`` exports them with a ``pl_`` prefix
(``pl_sma``...), next to the NumPy functions of the same names.

Missing values: null, NaN and ±inf are all missing on input (pandas treats NaN and inf so);
a missing output is **null** (Polars' own convention), where pandas and the NumPy functions
give NaN. Otherwise the values are the NumPy versions' (see :mod:`rustybt.indicators.rolling`,
:mod:`rustybt.indicators.ema`): ``min_periods=window``, ``ddof=1``, exactly 0.0 for a constant
window, ``ema`` with ``adjust=False`` by default, ``ignore_na=False`` and the previous value
carried over a missing bar. ``fillna`` fills null and NaN (inf is a value).

Design: thin wrappers over Polars' native rolling/ewm kernels, which run in Rust inside
Polars; we add the missing-value normalisation and the pandas details Polars lacks.
``window_slice`` takes a Series or DataFrame (an expression does not know its length, so it
could not check the bounds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar, overload

import polars as pl

from rustybt.indicators._args import (
    check_bounds,
    check_ddof,
    check_fill,
    check_span,
    check_window,
)

__all__ = [
    "ema",
    "fillna",
    "rolling_max",
    "rolling_mean",
    "rolling_min",
    "rolling_std",
    "sma",
    "window_slice",
]

Column = pl.Expr | str
Frame = TypeVar("Frame", pl.Series, pl.DataFrame)


def _col(column: Column) -> pl.Expr:
    return pl.col(column) if isinstance(column, str) else column


def _missing(column: Column) -> pl.Expr:
    """Float64 with NaN and ±inf turned into null (pandas' notion of missing)."""
    e = _col(column).cast(pl.Float64)
    return pl.when(e.is_finite()).then(e).otherwise(None)


@overload
def _apply(column: pl.Series, build: Callable[[pl.Expr], pl.Expr]) -> pl.Series: ...
@overload
def _apply(column: Column, build: Callable[[pl.Expr], pl.Expr]) -> pl.Expr: ...
def _apply(column: Column | pl.Series, build: Callable[[pl.Expr], pl.Expr]) -> pl.Expr | pl.Series:
    if isinstance(column, pl.Series):
        name = column.name
        return column.to_frame(name).select(build(pl.col(name)).alias(name)).to_series()
    return build(_col(column))


@overload
def rolling_mean(column: pl.Series, window: int) -> pl.Series: ...
@overload
def rolling_mean(column: Column, window: int) -> pl.Expr: ...
def rolling_mean(column: Column | pl.Series, window: int) -> pl.Expr | pl.Series:
    """Mean of each ``window`` rows; null until the window is full or while it holds a gap."""
    w = check_window(window)
    return _apply(column, lambda e: _missing(e).rolling_mean(w))


@overload
def sma(column: pl.Series, window: int) -> pl.Series: ...
@overload
def sma(column: Column, window: int) -> pl.Expr: ...
def sma(column: Column | pl.Series, window: int) -> pl.Expr | pl.Series:
    """Simple moving average; the same as :func:`rolling_mean`."""
    return rolling_mean(column, window)


@overload
def rolling_min(column: pl.Series, window: int) -> pl.Series: ...
@overload
def rolling_min(column: Column, window: int) -> pl.Expr: ...
def rolling_min(column: Column | pl.Series, window: int) -> pl.Expr | pl.Series:
    """Minimum of each ``window`` rows (null if the window holds a missing value)."""
    w = check_window(window)
    return _apply(column, lambda e: _missing(e).rolling_min(w))


@overload
def rolling_max(column: pl.Series, window: int) -> pl.Series: ...
@overload
def rolling_max(column: Column, window: int) -> pl.Expr: ...
def rolling_max(column: Column | pl.Series, window: int) -> pl.Expr | pl.Series:
    """Maximum of each ``window`` rows (null if the window holds a missing value)."""
    w = check_window(window)
    return _apply(column, lambda e: _missing(e).rolling_max(w))


@overload
def rolling_std(column: pl.Series, window: int, ddof: int = 1) -> pl.Series: ...
@overload
def rolling_std(column: Column, window: int, ddof: int = 1) -> pl.Expr: ...
def rolling_std(column: Column | pl.Series, window: int, ddof: int = 1) -> pl.Expr | pl.Series:
    """Std of each ``window`` rows, ``ddof=1`` by default; 0.0 for a constant window."""
    w = check_window(window)
    d = check_ddof(ddof)

    def build(e: pl.Expr) -> pl.Expr:
        x = _missing(e)
        std = x.rolling_std(w, ddof=d)
        if d >= w:
            return std * pl.lit(None, dtype=pl.Float64)  # no degrees of freedom: all null
        constant = x.rolling_max(w) == x.rolling_min(w)
        return pl.when(constant).then(pl.lit(0.0)).otherwise(std)

    return _apply(column, build)


@overload
def ema(column: pl.Series, span: float, *, adjust: bool = False) -> pl.Series: ...
@overload
def ema(column: Column, span: float, *, adjust: bool = False) -> pl.Expr: ...
def ema(column: Column | pl.Series, span: float, *, adjust: bool = False) -> pl.Expr | pl.Series:
    """``ewm(span=span, adjust=adjust).mean()``; a missing bar carries the previous value."""
    alpha = check_span(span)
    return _apply(
        column,
        lambda e: _missing(e).ewm_mean(alpha=alpha, adjust=adjust).forward_fill(),
    )


@overload
def fillna(
    column: pl.Series,
    value: float | None = None,
    *,
    method: Literal["ffill", "bfill"] | None = None,
) -> pl.Series: ...
@overload
def fillna(
    column: Column,
    value: float | None = None,
    *,
    method: Literal["ffill", "bfill"] | None = None,
) -> pl.Expr: ...
def fillna(
    column: Column | pl.Series,
    value: float | None = None,
    *,
    method: Literal["ffill", "bfill"] | None = None,
) -> pl.Expr | pl.Series:
    """Null and NaN replaced by ``value``, or by the previous/next value (ffill/bfill)."""
    check_fill(value, method)

    def build(e: pl.Expr) -> pl.Expr:
        x = e.cast(pl.Float64).fill_nan(None)
        if value is not None:
            return x.fill_null(float(value))
        return x.forward_fill() if method == "ffill" else x.backward_fill()

    return _apply(column, build)


def window_slice(data: Frame, start: int, end: int | None = None) -> Frame:
    """Rows ``start`` (inclusive) to ``end`` (exclusive, default: the end), bounds checked."""
    lo, hi = check_bounds(start, end, len(data))
    return data.slice(lo, hi - lo)
