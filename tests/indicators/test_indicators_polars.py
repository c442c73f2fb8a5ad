"""Polars indicators vs plain pandas (null where pandas has NaN), eager and lazy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rustybt import InvalidIndicatorArgument
from rustybt.indicators import (
    pl_ema,
    pl_fillna,
    pl_rolling_max,
    pl_rolling_mean,
    pl_rolling_min,
    pl_rolling_std,
    pl_sma,
    pl_window_slice,
)

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SERIES = arrays(
    np.float64,
    st.integers(0, 30),
    elements=st.one_of(
        st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
        st.sampled_from([np.nan, np.inf, 0.0, 7.5]),
    ),
)


def check(ours: pl.Series, expected: pd.Series, x: np.ndarray, var: bool = False) -> None:
    """Null exactly where pandas has NaN; values within 1e-12 relative (variances for std)."""
    assert ours.dtype == pl.Float64 and ours.null_count() == int(expected.isna().sum())
    assert not ours.is_nan().any()
    a, b = ours.to_numpy(), expected.to_numpy()
    finite = x[np.isfinite(x)]
    scale = float(np.abs(finite).max()) if finite.size else 1.0
    if var:
        a, b, scale = a**2, b**2, scale**2
    np.testing.assert_allclose(
        a, b, rtol=1e-9 if var else 1e-12, atol=scale * 1e-12, equal_nan=True
    )


@FAST
@given(SERIES, st.integers(1, 6))
def test_rolling_matches_pandas(x: np.ndarray, window: int) -> None:
    s, r = pl.Series("c", x), pd.Series(x).rolling(window)
    check(pl_rolling_mean(s, window), r.mean(), x)
    check(pl_sma(s, window), r.mean(), x)
    check(pl_rolling_min(s, window), r.min(), x)
    check(pl_rolling_max(s, window), r.max(), x)
    check(pl_rolling_std(s, window), r.std(), x, var=True)
    check(pl_rolling_std(s, window, ddof=0), r.std(ddof=0), x, var=True)


@FAST
@given(SERIES, st.floats(1, 30), st.booleans())
def test_ema_matches_pandas(x: np.ndarray, span: float, adjust: bool) -> None:
    expected = pd.Series(x).ewm(span=span, adjust=adjust).mean()
    check(pl_ema(pl.Series("c", x), span, adjust=adjust), expected, x)


@FAST
@given(SERIES, st.sampled_from(["ffill", "bfill", "value"]))
def test_fillna_matches_pandas(x: np.ndarray, how: str) -> None:
    s, p = pl.Series("c", x), pd.Series(x)
    if how == "value":
        ours, expected = pl_fillna(s, 2.0), p.fillna(2.0)
    else:
        ours, expected = pl_fillna(s, method=how), getattr(p, how)()  # type: ignore[arg-type]
    np.testing.assert_array_equal(ours.fill_null(np.nan).to_numpy(), expected.to_numpy())


def test_expressions_on_a_history_shaped_frame_eager_and_lazy() -> None:
    frame = pl.DataFrame(
        {"date": [1, 2, 3, 4], "A": [1.0, 2.0, None, 4.0], "B": [1.0, float("nan"), 3.0, 5.0]}
    )
    out = frame.with_columns(pl_sma(pl.exclude("date"), 2), ema=pl_ema("A", 3))
    assert out["A"].to_list() == [None, 1.5, None, None]
    assert out["B"].to_list() == [None, None, None, 4.0]
    assert out["ema"].to_list() == [
        1.0,
        1.5,
        1.5,
        pytest.approx(19 / 6, rel=1e-15),
    ]  # pandas: (0.25*1.5 + 0.5*4) / 0.75
    lazy = frame.lazy().select(pl_rolling_max("B", 2)).collect()
    assert lazy["B"].to_list() == [None, None, None, 5.0]


def test_all_null_column_and_empty_series() -> None:
    empty = pl.Series("c", [], dtype=pl.Float64)
    assert pl_sma(empty, 3).len() == 0 and pl_ema(empty, 3).len() == 0
    nulls = pl.Series("c", [None, None, None], dtype=pl.Float64)
    for fn in (pl_sma, pl_rolling_std, pl_ema):
        fn_: Any = fn
        assert fn_(nulls, 2).null_count() == 3


def test_std_without_degrees_of_freedom_is_null() -> None:
    assert pl_rolling_std(pl.Series("c", [1.0, 2.0, 3.0]), 2, ddof=2).null_count() == 3


@pytest.mark.parametrize("window", [0, -1, 1.5, True])
def test_invalid_window(window: Any) -> None:
    with pytest.raises(InvalidIndicatorArgument, match=r"window must be a positive int"):
        pl_sma("c", window)


def test_window_slice_series_and_frame() -> None:
    frame = pl.DataFrame({"a": [1, 2, 3, 4]})
    assert pl_window_slice(frame, 1, 3)["a"].to_list() == [2, 3]
    assert pl_window_slice(frame["a"], 2).to_list() == [3, 4]
    with pytest.raises(InvalidIndicatorArgument, match=r"0 <= start <= end <= 4"):
        pl_window_slice(frame, 0, 5)
