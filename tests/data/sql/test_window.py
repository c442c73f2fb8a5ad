"""Rolling and ASOF helpers vs a pandas oracle of history() windows, and vs ArrowDataPortal."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import Oracle, safe_ratio

from rustybt import ArrowDataPortal, Bundle, BundleSQL
from rustybt.calendars import get_calendar
from rustybt.testing import BundleSpec, bars_from_close, make_bundle, minute_ramp
from rustybt.testing.strategies import SPEC_SESSIONS as SESSIONS
from rustybt.testing.strategies import bundle_specs

STATS = ("mean", "std", "min", "max", "sum", "returns")


CAL = get_calendar("XNYS", start="2021-01-01", end="2021-12-31")


def check_rolling(spec: BundleSpec, n: int, field: str) -> None:
    """rolling() of an ingested spec equals the history() oracle."""
    with tempfile.TemporaryDirectory() as tmp:
        bundle = make_bundle(tmp, spec, name="t")
        with BundleSQL(bundle) as s:
            got = s.rolling(n, field, stats=STATS).df()
    want = Oracle(spec).rolling(n, field)
    assert got["sid"].tolist() == want["sid"].tolist()
    assert pd.DatetimeIndex(got["date"]).equals(pd.DatetimeIndex(want["date"]))
    assert got["bars"].tolist() == want["bars"].tolist()
    for col in ("rolling_mean", "rolling_std", "rolling_min", "rolling_max", "rolling_sum"):
        np.testing.assert_allclose(
            got[col].to_numpy(float), want[col], rtol=1e-9, atol=1e-9, err_msg=col
        )  # atol: the std of equal values is 0 or a few ulps depending on summation order
    np.testing.assert_allclose(got["returns"].to_numpy(float), want["returns"], rtol=1e-9)


FIELD = st.sampled_from(["close", "volume", "low"])


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=bundle_specs(), n=st.integers(1, 6), field=FIELD)
def test_rolling_matches_the_history_oracle(spec: BundleSpec, n: int, field: str) -> None:
    check_rolling(spec, n, field)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=bundle_specs(), n=st.integers(1, 30), field=FIELD)
def test_rolling_matches_the_history_oracle_long(spec: BundleSpec, n: int, field: str) -> None:
    check_rolling(spec, n, field)


def compare_with_portal(bundle: Bundle, n: int) -> int:
    """Check rolling() and the views against ArrowDataPortal.history(); return checks made."""
    portal = ArrowDataPortal(bundle)
    sessions = pd.DatetimeIndex(bundle.sessions)
    checks = 0
    with BundleSQL(bundle) as s:
        first_bar = dict(s.query("SELECT sid, min(date) FROM daily_bars GROUP BY sid").fetchall())
        for field in ("close", "volume"):
            rolled = s.rolling(n, field, stats=("mean", "std", "returns")).df()
            for row in rolled.itertuples():
                t = pd.Timestamp(row.date)
                pos = sessions.get_loc(t)
                if pos - n < 0 or sessions[pos - n] < pd.Timestamp(first_bar[row.sid]):
                    continue  # window (or the returns' base) starts outside the asset's life
                h = portal.history(row.sid, field, n + 1, "1d", end_dt=t, return_type="array")
                w = np.asarray(h, dtype=float)[1:]
                checks += 1
                if np.isnan(w).all():
                    assert np.isnan(row.rolling_mean)
                    continue
                np.testing.assert_allclose(row.rolling_mean, np.nanmean(w), rtol=1e-9)
                if np.count_nonzero(~np.isnan(w)) > 1:
                    np.testing.assert_allclose(
                        row.rolling_std, np.nanstd(w, ddof=1), rtol=1e-9, atol=1e-9
                    )
                # atol: a zero return computed as 0 by DuckDB and -1.1e-16 by NumPy (float noise)
                np.testing.assert_allclose(
                    row.returns, safe_ratio(h[-1], h[0]) - 1, rtol=1e-9, atol=1e-12
                )
        adj = s.query("SELECT * FROM daily_bars_adjusted ORDER BY sid, date").df()
        raw = s.query("SELECT * FROM daily_bars ORDER BY sid, date").df()
    last = sessions[-1]
    for sid, bars in adj.groupby("sid"):
        raw_sid = raw[raw["sid"] == sid]
        for field in ("open", "close", "volume"):
            h = portal.history(
                int(sid), field, len(sessions), "1d", end_dt=last, return_type="array"
            )
            at = sessions.get_indexer(pd.DatetimeIndex(bars["date"]))
            np.testing.assert_allclose(bars[field].to_numpy(float), h[at], rtol=1e-12)
            for t, value in zip(raw_sid["date"], raw_sid[field], strict=True):
                one = portal.history(int(sid), field, 1, "1d", end_dt=t, return_type="array")
                assert float(one[-1]) == float(value)
                checks += 1
    return checks


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=bundle_specs(), n=st.integers(1, 5))
def test_rolling_and_adjusted_view_equal_portal_history(spec: BundleSpec, n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        compare_with_portal(make_bundle(tmp, spec, name="t"), n)


def test_rolling_equals_portal_on_fixed_bundle(small_bundle: Bundle) -> None:
    assert compare_with_portal(small_bundle, 4) > 100


def test_rolling_options(small_bundle: Bundle) -> None:
    s30 = SESSIONS[:30]
    with BundleSQL(small_bundle) as s:
        part = s.rolling(3, sids=[2], start=s30[5], end=s30[9]).df()
        assert part["sid"].unique().tolist() == [2]
        assert pd.DatetimeIndex(part["date"]).equals(pd.DatetimeIndex(s30[5:10]))
        last = s.rolling(3, perspective="last_session", stats=("mean",)).df()
        adj = s.query("SELECT sid, date, close FROM daily_bars_adjusted ORDER BY sid, date").df()
        one = last[last["sid"] == 1].reset_index(drop=True)
        np.testing.assert_allclose(one["close"], adj[adj["sid"] == 1]["close"], rtol=1e-12)
        want = adj[adj["sid"] == 1]["close"].rolling(3, min_periods=1).mean().to_numpy()
        np.testing.assert_allclose(one["rolling_mean"], want, rtol=1e-12)
        raw = s.rolling(2, adjusted=False, stats=("max",)).df()
        bars = s.query("SELECT sid, date, close FROM daily_bars WHERE sid = 1 ORDER BY date").df()
        want_raw = bars["close"].rolling(2, min_periods=1).max().to_numpy()
        np.testing.assert_allclose(raw[raw["sid"] == 1]["rolling_max"], want_raw)
        for bad in (
            dict(window=0),
            dict(window=True),
            dict(window=3, field="price"),
            dict(window=3, stats=("median",)),
            dict(window=3, stats=()),
            dict(window=3, perspective="tomorrow"),
        ):
            with pytest.raises(ValueError):
                s.rolling(**bad)  # type: ignore[arg-type]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=bundle_specs(),
    picks=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 45)), min_size=1, max_size=12),
)
def test_asof_join_matches_oracle_and_portal_price(
    spec: BundleSpec, picks: list[tuple[int, int]]
) -> None:
    oracle = Oracle(spec)
    last_bar = max(f["date"].iloc[-1] for f in spec.daily.values())
    dates = [min(SESSIONS[i], last_bar) for _, i in picks]
    signals = pd.DataFrame({"sid": [p[0] for p in picks], "date": dates, "w": range(len(picks))})
    with tempfile.TemporaryDirectory() as tmp:
        bundle = make_bundle(tmp, spec, name="t")
        with BundleSQL(bundle) as s:
            got = s.asof_join(signals, fields=("close", "volume")).df()
            unadjusted = s.asof_join(pl.from_pandas(signals), adjusted=False).df()
        portal = ArrowDataPortal(bundle)
        assert got["w"].tolist() == list(range(len(picks)))  # the user's order is kept
        for row, raw_row in zip(got.itertuples(), unadjusted.itertuples(), strict=True):
            d = pd.Timestamp(row.date)
            for field in ("close", "volume"):
                want = oracle.asof(row.sid, d, field)
                np.testing.assert_allclose(getattr(row, field), want, rtol=1e-12)
            if not np.isnan(row.close):
                assert row.sid in spec.daily
                frame = spec.daily[row.sid].set_index("date")
                assert raw_row.close == frame.loc[pd.Timestamp(row.bar_date), "close"]
                if d > frame.index[-1]:
                    continue  # the portal's 'price' is NaN after an asset's last bar
                p = portal.history(row.sid, "price", 1, "1d", end_dt=d, return_type="array")
                np.testing.assert_allclose(row.close, float(p[-1]), rtol=1e-12)


def test_asof_join_checks_columns(small_bundle: Bundle) -> None:
    with BundleSQL(small_bundle) as s:
        with pytest.raises(ValueError, match="must be in the table"):
            s.asof_join(pd.DataFrame({"asset": [1], "date": [SESSIONS[3]]}))
        with pytest.raises(ValueError, match="field must be"):
            s.asof_join(pd.DataFrame({"sid": [1], "date": [SESSIONS[3]]}), fields=("price",))
        import pyarrow as pa

        table = pa.table({"sid": [1], "when": pa.array([SESSIONS[3]], pa.timestamp("ns"))})
        got = s.asof_join(table, on="when").arrow()
        assert got.column_names == ["sid", "when", "bar_date", "close"]


@pytest.fixture
def minute_bundle(tmp_path: Path) -> Bundle:
    """Two assets with gappy minute bars over three sessions, a split and a dividend."""
    rng = np.random.default_rng(3)
    days = SESSIONS[9:13]
    daily, minute = {}, {}
    for sid in (1, 2):
        daily[sid] = bars_from_close(days, 50 + rng.normal(0, 1, 4), rng.integers(1, 100, 4))
        frames = []
        for session in days[1:]:
            m = minute_ramp(CAL, session, 390, 50 + sid)
            keep = np.sort(rng.choice(390, 40, replace=False))
            frames.append(m.iloc[keep])
        frame = pd.concat(frames).reset_index(drop=True)
        frame["close"] = 50 + rng.normal(0, 1, len(frame)).cumsum() * 0.1
        frame["open"], frame["high"], frame["low"] = frame["close"], frame["close"] + 1, 1.0
        minute[sid] = frame
    spec = BundleSpec.from_bars(
        daily,
        minute=minute,
        end_date=SESSIONS[-1],
        splits=pd.DataFrame({"sid": [1], "effective_date": [days[2]], "ratio": [0.25]}),
        dividends=pd.DataFrame({"sid": [2], "ex_date": [days[3]], "amount": [1.5]}),
    )
    return make_bundle(tmp_path, spec, name="t")


def test_minute_rolling_equals_portal_history(minute_bundle: Bundle) -> None:
    portal = ArrowDataPortal(minute_bundle)
    n = 7
    checks = 0
    with BundleSQL(minute_bundle) as s:
        for field in ("close", "volume"):
            rolled = s.rolling(n, field, stats=("mean", "std", "returns"), frequency="minute").df()
            for sid, rows in rolled.groupby("sid"):
                rows = rows.reset_index(drop=True)
                for i in range(n, len(rows), 5):
                    row = rows.iloc[i]
                    end = pd.Timestamp(row["dt"])
                    h = portal.history(
                        int(sid), field, n + 1, "1m", end_dt=end, return_type="array"
                    )
                    w = np.asarray(h, dtype=float)[1:]
                    checks += 1
                    if np.isnan(w).all():
                        assert np.isnan(row["rolling_mean"])
                        continue
                    np.testing.assert_allclose(row["rolling_mean"], np.nanmean(w), rtol=1e-9)
                    if np.count_nonzero(~np.isnan(w)) > 1:
                        np.testing.assert_allclose(
                            row["rolling_std"], np.nanstd(w, ddof=1), rtol=1e-9, atol=1e-9
                        )
                    np.testing.assert_allclose(
                        row["returns"], safe_ratio(h[-1], h[0]) - 1, rtol=1e-9, atol=1e-12
                    )
        assert checks > 500
        first = s.query("SELECT min(dt) FROM minute_bars WHERE sid = 2").fetchall()[0][0]
        part = s.rolling(3, frequency="minute", sids=[2], start=first, end=first).df()
        assert part["sid"].tolist() == [2] and part["bars"].tolist() == [1]
        with pytest.raises(ValueError, match="frequency"):
            s.rolling(3, frequency="hourly")
