"""Whole-run statistics of daily returns, in NumPy, equal to empyrical-reloaded's.

:func:`rustybt.engine.metrics.summary` reports these for every backtest and every trial of an
optimization. They were empyrical-reloaded calls; importing empyrical pulls in scipy.stats
(1-1.8 s in a fresh process here: ``python -c "import rustybt.engine.metrics, empyrical"``
took 2.8-3.6 s against 1.6-1.8 s without it), which every optimization worker and every
``rustybt run`` paid before its first trial.

Design and invariants:

- The definitions are empyrical-reloaded's with its defaults (risk-free rate and required
  return 0, 252 periods a year), NaN handling included; ``tests/engine/test_stats.py`` checks
  every statistic against empyrical, value for value, on random returns with NaNs and on the
  named edges.
- Equal to the bit: empyrical's NaN-skipping means and deviations are bottleneck's (a
  dependency of empyrical-reloaded), which add the values in order; :func:`_mean` and
  :func:`_std` add them in order too (``np.cumsum``), where ``np.sum`` adds pairwise and
  would differ in the last bits (enough to move the beta of near-constant returns by 1e-9
  relative).
- NaN returns are skipped; the compounded curve treats them as 0 % days. Too few
  observations give NaN: none for total return, annual return and max drawdown, fewer than
  two for volatility, Sharpe, Sortino, alpha and beta.
- Sharpe of constant returns: their deviation is exactly 0 (empyrical's
  ``_zero_dispersion_std``), so the ratio is ±inf (NaN for constant zeros), never the
  arbitrary ~1e15 a rounding residue of the mean would give. Calmar is NaN unless the max
  drawdown is below 0 and the ratio is finite.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["alpha_beta", "annual_return", "annual_volatility", "calmar_of", "calmar_ratio",
           "max_drawdown", "sharpe_ratio", "sortino_ratio", "total_return"]

ANNUAL = 252
NAN = float("nan")


def _present(x: np.ndarray) -> np.ndarray:
    return x[~np.isnan(x)]


def _mean(x: np.ndarray) -> float:
    """Mean of the non-NaN values, added in order (NaN when there is none)."""
    v = _present(x)
    return float(np.cumsum(v)[-1] / len(v)) if len(v) else NAN


def _std(x: np.ndarray, ddof: int) -> float:
    """Standard deviation of the non-NaN values, two passes added in order."""
    v = _present(x)
    if len(v) <= ddof:
        return NAN
    d = v - np.cumsum(v)[-1] / len(v)
    return float(np.sqrt(np.cumsum(d * d)[-1] / (len(v) - ddof)))


def _ratio(a: float, b: float) -> float:
    """``a / b`` as NumPy divides: ±inf or NaN for a 0 divisor, no exception."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(a) / np.float64(b))


def _power(base: float, exponent: float) -> float:
    """``base ** exponent`` as NumPy raises: NaN for a negative base and a fractional exponent."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return float(np.float64(base) ** exponent)


def _growth(r: np.ndarray) -> float:
    """The compounded value of 1 over the run, NaN days skipped."""
    return float(np.nanprod(r + 1.0))


def total_return(r: np.ndarray) -> float:
    """Compounded return of the whole run (``cum_returns_final``)."""
    return _growth(r) - 1.0 if len(r) else NAN


def annual_return(r: np.ndarray) -> float:
    """Compound annual growth rate (``annual_return``, ``cagr``)."""
    return _power(_growth(r), 1.0 / (len(r) / ANNUAL)) - 1.0 if len(r) else NAN


def annual_volatility(r: np.ndarray) -> float:
    """Sample standard deviation times 252 ** 0.5 (``annual_volatility``)."""
    return _std(r, 1) * ANNUAL ** 0.5 if len(r) >= 2 else NAN


def sharpe_ratio(r: np.ndarray) -> float:
    """Mean over sample deviation times √252 (``sharpe_ratio``)."""
    if len(r) < 2:
        return NAN
    std = _std(r, 1)
    v = _present(r)
    if math.isfinite(std) and v.max() == v.min():
        std = 0.0  # constant returns: exactly no dispersion (module docstring)
    return _ratio(_mean(r), std) * math.sqrt(ANNUAL)


def sortino_ratio(r: np.ndarray) -> float:
    """Annualised mean over annualised downside deviation below 0 (``sortino_ratio``)."""
    if len(r) < 2:
        return NAN
    downside = np.minimum(r, 0.0)  # NaN stays NaN, as np.clip keeps it
    risk = math.sqrt(_mean(downside * downside)) * math.sqrt(ANNUAL)
    return _ratio(_mean(r) * ANNUAL, risk)


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
        drawdowns = _present(((curve - peak) / peak)[1:])
    return float(drawdowns.min()) if len(drawdowns) else NAN


def calmar_ratio(r: np.ndarray) -> float:
    """Annual return over the max drawdown's size; NaN without a drawdown (``calmar_ratio``)."""
    return calmar_of(annual_return(r), max_drawdown(r))


def calmar_of(annual: float, drawdown: float) -> float:
    """:func:`calmar_ratio` from an annual return and a max drawdown already computed."""
    if not drawdown < 0:
        return NAN
    ratio = annual / abs(drawdown)
    return NAN if math.isinf(ratio) else ratio


def alpha_beta(r: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Annualised alpha and beta against ``b``, aligned by position (``alpha_beta_aligned``).

    beta = cov(r, b) / var(b), population moments over the days ``r`` is not NaN (NaN when
    var(b) < 1e-30); alpha = (1 + mean(r - beta·b))^252 - 1.
    """
    if len(r) < 1 or len(b) < 2:
        return NAN, NAN
    independent = np.where(np.isnan(r), np.nan, b)
    residual = independent - _mean(independent)
    var = _mean(residual * residual)
    beta = NAN if var < 1.0e-30 else _ratio(_mean(residual * r), var)
    if len(r) < 2:
        return NAN, beta
    return _power(_mean(r - beta * b) + 1.0, ANNUAL) - 1.0, beta
