"""NumPy indicators vs plain pandas as the oracle: properties, then named edge cases."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rustybt import InvalidIndicatorArgument
from rustybt.indicators import (
    ema,
    fillna,
    rolling_max,
    rolling_mean,
    rolling_min,
    rolling_std,
    sma,
    window_slice,
)

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALUES = st.one_of(
    st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
    st.sampled_from([np.nan, np.nan, np.inf, -np.inf, 0.0, 100.25]),
)


@st.composite
def bars(draw: st.DrawFn) -> np.ndarray:
    """(bars,) or (bars, assets) float64 with NaN, ±inf and repeats mixed in."""
    n = draw(st.integers(0, 30))
    shape = (n,) if draw(st.booleans()) else (n, draw(st.integers(1, 3)))
    return draw(arrays(np.float64, shape, elements=VALUES))


def frame(x: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(x if x.ndim == 2 else x[:, None])


def oracle(x: np.ndarray, build: Any) -> np.ndarray:
    """``build(DataFrame)`` back in ``x``'s shape."""
    return np.asarray(build(frame(x)), dtype=np.float64).reshape(x.shape)


def close(ours: np.ndarray, expected: np.ndarray, x: np.ndarray, rtol: float = 1e-12) -> None:
    """Equal NaN pattern; values within ``rtol`` relative or a cancellation floor."""
    assert ours.shape == expected.shape and ours.dtype == np.float64
    finite = x[np.isfinite(x)]
    scale = float(np.abs(finite).max()) if finite.size else 1.0
    np.testing.assert_allclose(ours, expected, rtol=rtol, atol=scale * 1e-12, equal_nan=True)


@FAST
@given(bars(), st.integers(1, 8))
def test_rolling_mean_min_max_match_pandas(x: np.ndarray, window: int) -> None:
    close(rolling_mean(x, window), oracle(x, lambda f: f.rolling(window).mean()), x)
    close(sma(x, window), oracle(x, lambda f: f.rolling(window).mean()), x)
    np.testing.assert_array_equal(
        rolling_min(x, window), oracle(x, lambda f: f.rolling(window).min())
    )
    np.testing.assert_array_equal(
        rolling_max(x, window), oracle(x, lambda f: f.rolling(window).max())
    )


@FAST
@given(bars(), st.integers(1, 8), st.integers(0, 2))
def test_rolling_std_matches_pandas(x: np.ndarray, window: int, ddof: int) -> None:
    """Compared as variances: pandas' online update errs by ~eps × the series' largest square
    (0.25000000745 for the exact 0.25 after 5633 left the window); ours is two-pass."""
    ours, expected = (
        rolling_std(x, window, ddof=ddof),
        oracle(x, lambda f: f.rolling(window).std(ddof=ddof)),
    )
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected))
    finite = x[np.isfinite(x)]
    scale = float(np.abs(finite).max()) if finite.size else 1.0
    np.testing.assert_allclose(
        ours**2, expected**2, rtol=1e-9, atol=scale**2 * 1e-12, equal_nan=True
    )


@FAST
@given(bars(), st.floats(1, 40), st.booleans())
def test_ema_matches_pandas(x: np.ndarray, span: float, adjust: bool) -> None:
    expected = oracle(x, lambda f: f.ewm(span=span, adjust=adjust).mean())
    close(ema(x, span, adjust=adjust), expected, x)


@FAST
@given(bars(), st.sampled_from(["ffill", "bfill", "value"]))
def test_fillna_matches_pandas(x: np.ndarray, how: str) -> None:
    if how == "value":
        ours, expected = fillna(x, -1.5), oracle(x, lambda f: f.fillna(-1.5))
    else:
        ours = fillna(x, method=how)  # type: ignore[arg-type]
        expected = oracle(x, lambda f: getattr(f, how)())
    np.testing.assert_array_equal(ours, expected)


# ---------------------------------------------------------------------------- named edge cases
ROLLING = [rolling_mean, rolling_min, rolling_max, rolling_std, sma]


@pytest.mark.parametrize("fn", ROLLING, ids=lambda f: f.__name__)
def test_window_one(fn: Any) -> None:
    x = np.array([3.0, np.nan, 5.0])
    expected = np.array([np.nan] * 3) if fn is rolling_std else x  # ddof=1: no dof in 1 bar
    np.testing.assert_array_equal(fn(x, 1), expected)


@pytest.mark.parametrize("fn", ROLLING, ids=lambda f: f.__name__)
def test_window_longer_than_input_is_all_nan(fn: Any) -> None:
    out = fn(np.arange(4.0).reshape(2, 2), 3)
    assert out.shape == (2, 2) and np.isnan(out).all()


@pytest.mark.parametrize("fn", [*ROLLING, lambda x, w: ema(x, w)],
                         ids=lambda f: getattr(f, "__name__", "ema").replace("<lambda>", "ema"))
def test_empty_and_all_nan(fn: Any) -> None:
    assert fn(np.array([]), 2).shape == (0,)
    assert fn(np.empty((0, 3)), 2).shape == (0, 3)
    assert np.isnan(fn(np.full((5, 2), np.nan), 2)).all()


def test_nan_in_the_middle_blanks_exactly_the_windows_holding_it() -> None:
    x = np.arange(10.0)
    x[4] = np.nan
    out = sma(x, 3)
    assert np.isnan(out[[0, 1, 4, 5, 6]]).all()
    np.testing.assert_array_equal(out[[2, 3, 7, 8, 9]], [1.0, 2.0, 6.0, 7.0, 8.0])


def test_two_d_with_one_asset_all_nan() -> None:
    x = np.column_stack([np.arange(6.0), np.full(6, np.nan), np.arange(6.0) * 2])
    for out in (sma(x, 2), rolling_std(x, 2), ema(x, 3), ema(x, 3, adjust=True)):
        assert np.isnan(out[:, 1]).all() and not np.isnan(out[1:, 0]).any()
    np.testing.assert_array_equal(sma(x, 2)[:, 2], sma(x[:, 2], 2))
    np.testing.assert_array_equal(fillna(x, method="ffill")[:, 1], x[:, 1])


def test_constant_window_std_is_exactly_zero() -> None:
    out = rolling_std(np.full(6, 0.1), 3)
    np.testing.assert_array_equal(out[2:], 0.0)


def test_ema_default_is_the_recursive_ema() -> None:
    x = np.array([10.0, 11.0, 12.0])
    alpha = 2 / (3 + 1)
    expected = [10.0, 10 + alpha * 1, (10 + alpha) * (1 - alpha) + alpha * 12]
    np.testing.assert_allclose(ema(x, 3), expected, rtol=1e-15)
    assert ema(x, 3, adjust=True)[1] != ema(x, 3)[1]  # pandas' default differs


def test_ema_gap_between_values_matches_pandas_bit_for_bit() -> None:
    x = np.array([[np.nan, 1.0], [2.0, np.nan], [np.nan, np.nan], [7.0, 3.0], [8.0, np.nan]])
    expected = frame(x).ewm(span=4, adjust=False).mean().to_numpy()
    np.testing.assert_array_equal(ema(x, 4), expected)


def test_integer_input_becomes_float() -> None:
    np.testing.assert_array_equal(sma(np.array([1, 2, 3]), 2), [np.nan, 1.5, 2.5])


@pytest.mark.parametrize("fn", ROLLING, ids=lambda f: f.__name__)
@pytest.mark.parametrize("window", [0, -1, 2.0, 2.5, True, "3", None])
def test_invalid_window_names_the_argument(fn: Any, window: object) -> None:
    with pytest.raises(InvalidIndicatorArgument, match=r"window must be a positive int") as err:
        fn(np.arange(5.0), window)
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("span", [0, 0.5, -1, np.nan, np.inf, True, "3"])
def test_invalid_span(span: object) -> None:
    with pytest.raises(InvalidIndicatorArgument, match=r"span must be a real number >= 1"):
        ema(np.arange(5.0), span)  # type: ignore[arg-type]


def test_invalid_ddof_values_and_fill_arguments() -> None:
    with pytest.raises(InvalidIndicatorArgument, match=r"ddof must be an int >= 0, got -1"):
        rolling_std(np.arange(5.0), 2, ddof=-1)
    with pytest.raises(InvalidIndicatorArgument, match=r"shape \(2, 2, 2\)"):
        sma(np.zeros((2, 2, 2)), 2)
    with pytest.raises(InvalidIndicatorArgument, match=r"dtype object.*decimal_sum"):
        sma(np.array([1, "a"], dtype=object), 2)
    with pytest.raises(InvalidIndicatorArgument, match=r"exactly one of value= and method="):
        fillna(np.arange(3.0))
    with pytest.raises(InvalidIndicatorArgument, match=r"method must be 'ffill' or 'bfill'"):
        fillna(np.arange(3.0), method="pad")  # type: ignore[arg-type]


def test_window_slice_checks_bounds_and_returns_a_view() -> None:
    x = np.arange(12.0).reshape(6, 2)
    part = window_slice(x, 2, 5)
    assert np.shares_memory(part, x)
    np.testing.assert_array_equal(part, x[2:5])
    np.testing.assert_array_equal(window_slice(x, 4), x[4:])
    assert window_slice([1, 2, 3], 1, 1) == []
    for start, end in ((-1, 3), (0, 7), (4, 2)):
        with pytest.raises(InvalidIndicatorArgument, match=r"0 <= start <= end <= 6"):
            window_slice(x, start, end)
    with pytest.raises(InvalidIndicatorArgument, match=r"start must be an int, got 1.5"):
        window_slice(x, 1.5, 3)  # type: ignore[arg-type]


def test_large_blocks_give_the_same_result_as_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Row blocking (bounding the std temporary) does not change any output."""
    import rustybt.indicators.rolling as rolling

    x = np.random.default_rng(0).normal(100, 5, size=(50, 3))
    whole = rolling_std(x, 7), sma(x, 7)
    monkeypatch.setattr(rolling, "_BLOCK", 5)
    np.testing.assert_array_equal(rolling_std(x, 7), whole[0])
    np.testing.assert_array_equal(sma(x, 7), whole[1])
