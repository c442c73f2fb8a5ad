"""rustybt.engine.stats equals empyrical-reloaded (the oracle), to the bit, on the same returns."""

from __future__ import annotations

import math

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rustybt.engine import stats
from rustybt.engine.metrics import summary

returns = st.lists(
    st.one_of(st.floats(min_value=-0.3, max_value=0.3, allow_nan=False).map(lambda x: round(x, 6)),
              st.just(float("nan"))),
    min_size=0, max_size=80)


def _same(got: float, want: float) -> bool:
    """Equal to the bit (NaN equals NaN): rustybt.engine.stats adds in empyrical's order."""
    want = float(want)
    return math.isnan(got) if math.isnan(want) else got == want


def _oracle(r: pd.Series) -> dict[str, float]:
    return {
        "total_return": ep.cum_returns_final(r) if len(r) else np.nan,
        "annual_return": ep.annual_return(r),
        "annual_volatility": ep.annual_volatility(r),
        "sharpe": ep.sharpe_ratio(r),
        "sortino": ep.sortino_ratio(r),
        "max_drawdown": ep.max_drawdown(r),
        "calmar": ep.calmar_ratio(r),
    }


def _check(values: list[float], bench: list[float] | None = None) -> None:
    index = pd.bdate_range("2020-01-01", periods=len(values))
    r = pd.Series(values, index=index, dtype=float)
    perf = pd.DataFrame({"returns": r})
    b = None if bench is None else pd.Series(bench, index=index, dtype=float)
    with np.errstate(all="ignore"):
        want = _oracle(r)
        if b is not None:
            want["alpha"], want["beta"] = ep.alpha_beta_aligned(r.to_numpy(), b.to_numpy())
    got = summary(perf, b)
    assert set(got) == set(want)
    for name, value in want.items():
        assert _same(got[name], value), (name, got[name], value, values)


@settings(max_examples=150, deadline=None)
@given(returns, st.integers(0, 2**31 - 1))
def test_every_statistic_equals_empyrical(values: list[float], seed: int) -> None:
    bench = np.round(np.random.default_rng(seed).normal(0.0, 0.01, len(values)), 6)
    _check(values, list(bench))


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=-0.3, max_value=0.3).map(lambda x: round(x, 6)),
       st.lists(st.integers(-2, 2), min_size=2, max_size=60), st.integers(0, 2**31 - 1))
def test_near_constant_returns_equal_empyrical(base: float, steps: list[int], seed: int) -> None:
    # the ill-conditioned case: deviations of 1e-6 around the mean, where summing in another
    # order than empyrical's moves beta by 1e-9 relative
    bench = np.round(np.random.default_rng(seed).normal(0.0, 0.01, len(steps)), 6)
    _check([round(base + k * 1e-6, 6) for k in steps], list(bench))


@pytest.mark.parametrize("values", [
    [],                                  # nothing: NaN everywhere
    [0.01],                              # one day: total and annual return only
    [0.0] * 5,                           # flat: no volatility, no Sharpe, no drawdown
    [0.002] * 30,                        # constant: deviation exactly 0, Sharpe inf
    [-0.002] * 30,                       # constant losses: Sharpe -inf
    [0.01, -1.0, 0.02],                  # total loss: the curve stays at 0
    [0.1, -1.5, 0.2],                    # below -100 %: a negative curve, no CAGR
    [float("nan")] * 4,                  # all missing
    [0.01, float("nan"), -0.02, 0.03],   # a missing day is skipped, compounds as 0 %
    [0.01, 0.02, 0.03],                  # never a drawdown: no Calmar
])
def test_named_edges_equal_empyrical(values: list[float]) -> None:
    _check(values, [0.001 * i for i in range(len(values))])


def test_zero_variance_benchmark_has_no_beta() -> None:
    alpha, beta = stats.alpha_beta(np.array([0.01, -0.02, 0.03]), np.zeros(3))
    assert math.isnan(beta) and math.isnan(alpha)
    _check([0.01, -0.02, 0.03], [0.0, 0.0, 0.0])


def test_summary_imports_neither_empyrical_nor_scipy() -> None:
    import subprocess
    import sys

    code = ("import sys, pandas as pd; from rustybt.engine.metrics import summary; "
            "summary(pd.DataFrame({'returns': [0.01, -0.02, 0.005]})); "
            "print(sorted(m for m in ('empyrical', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
