"""Whole-run statistics of daily returns, in NumPy, with empyrical-reloaded's definitions.

:func:`rustybt.engine.metrics.summary` reports these for every backtest and every trial of an
optimization. They were empyrical-reloaded calls; importing empyrical pulls in scipy.stats
(1-1.8 s in a fresh process here: ``python -c "import rustybt.engine.metrics, empyrical"``
took 2.8-3.6 s against 1.6-1.8 s without it), which every optimization worker and every
``rustybt run`` paid before its first trial. The definitions below are empyrical-reloaded
0.5.x's, NaN handling included (``tests/engine/test_stats.py`` checks each against
empyrical on random returns with NaNs and on the named edges), with its defaults: risk-free
rate and required return 0, 252 periods a year.

- NaN returns are skipped (empyrical's ``nan*`` reductions); the compounded curve treats them
  as 0 % days.
- Too few observations give NaN: none for total return, annual return and max drawdown,
  fewer than two for volatility, Sharpe, Sortino, alpha and beta.
- Sharpe of constant returns: their deviation is exactly 0 (empyrical's
  ``_zero_dispersion_std``), so the ratio is ±inf (NaN for constant zeros), never the
  arbitrary ~1e15 a rounding residue of the mean would give.
- Calmar is NaN unless the max drawdown is below 0 and the ratio is finite.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["alpha_beta", "annual_return", "annual_volatility", "calmar_ratio", "max_drawdown",
           "sharpe_ratio", "sortino_ratio", "total_return"]

ANNUAL = 252
NAN = float("nan")


def _nan_stats(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    """``fn(*args)`` as a float, silent on all-NaN input and 0 divisions (NaN / inf out)."""
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(fn(*args, **kwargs))


def total_return(r: np.ndarray) -> float:
    """Compounded return of the whole run (``cum_returns_final``)."""
    if len(r) == 0:
        return NAN
    return _nan_stats(np.nanprod, r + 1.0) - 1.0


def annual_return(r: np.ndarray) -> float:
    """Compound annual growth rate (``annual_return``, ``cagr``)."""
    if len(r) == 0:
        return NAN
    ending = _nan_stats(np.nanprod, r + 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.float64(ending) ** (1.0 / (len(r) / ANNUAL)) - 1.0)


def annual_volatility(r: np.ndarray) -> float:
    """Sample standard deviation times √252 (``annual_volatility``)."""
    if len(r) < 2:
        return NAN
    return _nan_stats(np.nanstd, r, ddof=1) * math.sqrt(ANNUAL)


def sharpe_ratio(r: np.ndarray) -> float:
    """Mean over sample deviation times √252 (``sharpe_ratio``)."""
    if len(r) < 2:
        return NAN
    std = _nan_stats(np.nanstd, r, ddof=1)
    if math.isfinite(std) and _nan_stats(np.nanmax, r) == _nan_stats(np.nanmin, r):
        std = 0.0  # constant returns: exactly no dispersion (module docstring)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(_nan_stats(np.nanmean, r)) / np.float64(std)
                     * math.sqrt(ANNUAL))


def sortino_ratio(r: np.ndarray) -> float:
    """Annualised mean over annualised downside deviation below 0 (``sortino_ratio``)."""
    if len(r) < 2:
        return NAN
    mean = _nan_stats(np.nanmean, r) * ANNUAL
    downside = np.clip(r, -np.inf, 0.0)
    risk = math.sqrt(_nan_stats(np.nanmean, downside * downside)) * math.sqrt(ANNUAL)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(mean) / np.float64(risk))


def max_drawdown(r: np.ndarray) -> float:
    """Deepest fall of the compounded curve below its running peak (``max_drawdown``)."""
    if len(r) == 0:
        return NAN
    curve = np.empty(len(r) + 1)
    curve[0] = 100.0
    np.cumprod(np.where(np.isnan(r), 0.0, r) + 1.0, out=curve[1:])
    curve[1:] *= 100.0
    peak = np.fmax.accumulate(curve)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _nan_stats(np.nanmin, ((curve - peak) / peak)[1:])


def calmar_ratio(r: np.ndarray) -> float:
    """Annual return over the max drawdown's size; NaN without a drawdown (``calmar_ratio``)."""
    dd = max_drawdown(r)
    if not dd < 0:
        return NAN
    ratio = annual_return(r) / abs(dd)
    return NAN if math.isinf(ratio) else ratio


def alpha_beta(r: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Annualised alpha and beta against ``b``, aligned by position (``alpha_beta_aligned``).

    beta = cov(r, b) / var(b) with population moments over the days ``r`` is not NaN (NaN
    when var(b) < 1e-30); alpha = (1 + mean(r - beta·b))^252 - 1.
    """
    if len(r) < 1 or len(b) < 2:
        return NAN, NAN
    independent = np.where(np.isnan(r), np.nan, b)
    residual = independent - _nan_stats(np.nanmean, independent)
    cov = _nan_stats(np.nanmean, residual * r)
    var = _nan_stats(np.nanmean, residual * residual)
    beta = NAN if var < 1.0e-30 else cov / var
    if len(r) < 2:
        return NAN, beta
    mean = _nan_stats(np.nanmean, r - beta * b)
    with np.errstate(invalid="ignore", over="ignore"):
        alpha = float(np.float64(mean + 1.0) ** ANNUAL - 1.0)
    return alpha, beta
