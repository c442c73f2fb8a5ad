"""The expanding risk metrics equal empyrical-reloaded called on every prefix (zipline's way)."""

from __future__ import annotations

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rustybt.engine.metrics import expanding_risk, summary

returns_lists = st.lists(
    st.floats(min_value=-0.2, max_value=0.2, allow_nan=False).map(lambda x: round(x, 6)),
    min_size=1, max_size=60)


def _close(a: float, b: float) -> bool:
    if not np.isfinite(b):
        return bool(np.isnan(a))
    return bool(abs(a - b) <= 1e-9 * abs(b) + 1e-12)


def _oracle(r: np.ndarray, b: np.ndarray, i: int) -> dict[str, float]:
    """zipline's per-session metrics: empyrical on the prefix ``[: i + 1]``."""
    ri, bi = r[: i + 1], b[: i + 1]
    alpha, beta = ep.alpha_beta_aligned(ri, bi)
    return {
        "algo_volatility": ep.annual_volatility(ri),
        "sharpe": ep.sharpe_ratio(ri),
        "sortino": ep.sortino_ratio(ri),
        "max_drawdown": ep.max_drawdown(ri),
        "alpha": alpha,
        "beta": beta,
        "algorithm_period_return": ep.cum_returns_final(ri),
        "benchmark_period_return": ep.cum_returns_final(bi),
        "benchmark_volatility": ep.annual_volatility(bi),
    }


@settings(max_examples=60, deadline=None)
@given(returns_lists, st.integers(0, 2**31 - 1))
def test_expanding_metrics_equal_empyrical_on_every_prefix(values: list[float], seed: int) -> None:
    r = np.array(values)
    b = np.round(np.random.default_rng(seed).normal(0.0, 0.01, len(r)), 6)
    got = expanding_risk(r, b)
    for i in range(len(r)):
        want = _oracle(r, b, i)
        if i >= 1 and np.ptp(r[: i + 1]) == 0:
            # constant returns: no covariance with anything, beta exactly 0 (rustybt's shifted
            # sums); empyrical's centring leaves a rounding residue (4.5e-10 for [0.125,
            # 0.125] against a benchmark of variance ~1e-5) and an alpha that carries it
            assert abs(want["beta"]) < 1e-6, want["beta"]
            want["beta"] = 0.0
            want["alpha"] = (1.0 + r[0]) ** 252 - 1.0
        for name, value in want.items():
            # zipline reports non-finite statistics as None; rustybt as NaN
            expected = value if np.isfinite(value) else np.nan
            if name == "max_drawdown" and i >= 0:
                expected = value
            assert _close(got[name][i], expected), (name, i, got[name][i], value)


def test_constant_returns_have_no_sharpe_and_no_beta() -> None:
    r = np.full(30, 0.085752)
    b = np.round(np.random.default_rng(1).normal(0, 0.01, 30), 6)
    got = expanding_risk(r, b)
    assert np.isnan(got["sharpe"][1:]).all() and (got["algo_volatility"][1:] == 0).all()
    assert (got["beta"][1:] == 0).all()


def test_named_edges() -> None:
    flat = expanding_risk(np.zeros(5), np.zeros(5))
    assert np.isnan(flat["sharpe"]).all()  # std 0: undefined, zipline's None
    assert (flat["max_drawdown"] == 0).all()
    one = expanding_risk(np.array([0.01]), np.array([0.0]))
    assert np.isnan(one["algo_volatility"][0]) and np.isnan(one["sharpe"][0])
    crash = expanding_risk(np.array([0.1, -0.5, 0.2]), np.zeros(3))
    assert crash["max_drawdown"][1] == pytest.approx(-0.5)
    assert crash["max_drawdown"][2] == pytest.approx(-0.5)


def test_summary_is_empyrical() -> None:
    # tests/engine/test_stats.py checks every statistic and its edges
    rng = np.random.default_rng(3)
    r = pd.Series(rng.normal(0.001, 0.01, 300),
                  index=pd.bdate_range("2020-01-01", periods=300))
    b = pd.Series(rng.normal(0, 0.01, 300), index=r.index)
    out = summary(pd.DataFrame({"returns": r}), b)
    alpha, beta = ep.alpha_beta_aligned(r.to_numpy(), b.to_numpy())
    want = {"sharpe": ep.sharpe_ratio(r), "calmar": ep.calmar_ratio(r),
            "max_drawdown": ep.max_drawdown(r), "total_return": ep.cum_returns_final(r),
            "sortino": ep.sortino_ratio(r), "annual_return": ep.annual_return(r),
            "annual_volatility": ep.annual_volatility(r), "alpha": alpha, "beta": beta}
    assert out == want  # to the bit
