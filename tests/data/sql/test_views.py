"""The views' numbers against a plain-pandas oracle on Hypothesis-generated bundles."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from support import Oracle, assert_frames_close

import rustybt
from rustybt import Bundle, BundleSQL, SQLResult
from rustybt.data.sql.engine import sql
from rustybt.testing import BundleSpec, bars_from_close, make_bundle
from rustybt.testing.strategies import SPEC_SESSIONS as SESSIONS
from rustybt.testing.strategies import bundle_specs

FIELDS = ["open", "high", "low", "close", "volume"]


# ---------------------------------------------------------------------------- properties
def check_views(spec: BundleSpec) -> None:
    """Ingest ``spec`` and compare both bar views with the oracle."""
    with tempfile.TemporaryDirectory() as tmp:
        bundle = make_bundle(tmp, spec, name="t")
        with BundleSQL(bundle) as s:
            raw = s.query("SELECT * FROM daily_bars ORDER BY sid, date").df()
            adj = s.query("SELECT * FROM daily_bars_adjusted ORDER BY sid, date").df()
        oracle = Oracle(spec)
        assert_frames_close(raw, oracle.bars(adjusted=False))
        assert_frames_close(adj, oracle.bars(adjusted=True))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=bundle_specs())
def test_raw_and_adjusted_views_match_the_oracle(spec: BundleSpec) -> None:
    check_views(spec)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=bundle_specs())
def test_views_match_the_oracle_long(spec: BundleSpec) -> None:
    check_views(spec)


# ---------------------------------------------------------------------------- fixed bundle
def test_small_tables_and_sessions(small_bundle: Bundle) -> None:
    with BundleSQL(small_bundle) as s:
        assets = s.query("SELECT sid, symbol FROM assets ORDER BY sid").fetchall()
        assert assets == [(1, "S1"), (2, "S2")]
        sessions = s.query("SELECT session FROM sessions ORDER BY session").df()["session"]
        assert pd.DatetimeIndex(sessions).equals(pd.DatetimeIndex(small_bundle.sessions))
        opens = s.query("SELECT open, close FROM sessions ORDER BY session").df()
        sched = small_bundle.calendar.schedule.loc[small_bundle.sessions]
        assert (opens["open"].to_numpy() == sched["open"].to_numpy()).all()
        divs = s.query("SELECT sid, ex_date, ratio FROM dividends ORDER BY sid").df()
        stored = small_bundle.read_dividends().sort_values("sid")
        np.testing.assert_allclose(divs["ratio"], stored["ratio"])
        assert len(s.query("SELECT * FROM splits")) == 1
        assert len(s.query("SELECT * FROM mergers")) == 1
        assert len(s.query("SELECT * FROM stock_dividends")) == 0
        assert len(s.query("SELECT * FROM symbol_history")) == 2


def test_minute_view_matches_the_files(small_bundle: Bundle) -> None:
    with BundleSQL(small_bundle) as s:
        got = s.query("SELECT * FROM minute_bars ORDER BY sid, dt").df()
        assert dict(s.schema("minute_bars"))["dt"] == "TIMESTAMP WITH TIME ZONE"
        # UTC time arithmetic works without the ICU extension, and parameters bind to it.
        since = SESSIONS[29].tz_localize("UTC") + pd.Timedelta(14 * 60 + 32, "min")
        rows = s.query(
            "SELECT sid, date_trunc('hour', dt) AS hour, count(*) AS n, min(dt::TIMESTAMP) AS t0 "
            "FROM minute_bars WHERE dt >= ? GROUP BY ALL",
            [since.to_pydatetime()],
        ).fetchall()
        assert [(r[0], r[1].hour, r[2], r[3].minute) for r in rows] == [(2, 14, 2, 32)]
    want = pd.concat([small_bundle.read_minute(sid).assign(sid=sid) for sid in (1, 2)]).reset_index(
        drop=True
    )
    assert got["sid"].tolist() == want["sid"].tolist()
    assert (pd.DatetimeIndex(got["dt"]) == pd.DatetimeIndex(want["dt"])).all()
    assert str(pd.DatetimeIndex(got["dt"]).tz) == "UTC"
    for col in FIELDS:
        np.testing.assert_array_equal(got[col].to_numpy(), want[col].to_numpy())


def test_adjustment_factors_view(small_bundle: Bundle) -> None:
    with BundleSQL(small_bundle) as s:
        f = s.query(
            "SELECT date, price_factor, volume_factor FROM daily_adjustment_factors "
            "WHERE sid = 1 ORDER BY date"
        ).df()
    s30 = SESSIONS[:30]
    split_rows = pd.DatetimeIndex(f["date"]) < s30[12]
    assert (f.loc[split_rows, "volume_factor"] == 0.5).all()
    assert (f.loc[~split_rows, "volume_factor"] == 1.0).all()
    assert (f["price_factor"].iloc[-15:] == 1.0).all()  # after the last ex-date


def test_params_are_bound_not_formatted(small_bundle: Bundle) -> None:
    q = "SELECT count(*) AS n FROM daily_bars WHERE sid = ? AND date >= ?"
    assert sql(small_bundle, q, [1, SESSIONS[20].date()]).fetchall() == [(10,)]
    named = "SELECT count(*) FROM assets WHERE symbol = $sym"
    assert rustybt.sql(small_bundle, named, {"sym": "S2"}).fetchall() == [(1,)]
    # A value that looks like SQL stays a value.
    assert rustybt.sql(small_bundle, named, {"sym": "S2' OR 1=1 --"}).fetchall() == [(0,)]


def test_result_formats(small_bundle: Bundle) -> None:
    res = rustybt.sql(small_bundle, "SELECT sid, date, close FROM daily_bars ORDER BY sid, date")
    assert isinstance(res, SQLResult)
    assert isinstance(res.arrow(), pa.Table)
    assert res.arrow().schema.field("date").type == pa.date32()
    assert isinstance(res.pl(), pl.DataFrame)
    df = res.df()
    assert isinstance(df, pd.DataFrame) and len(df) == len(res) == 58
    assert res.columns == ["sid", "date", "close"]
    assert df["date"].dtype.kind == "M"
    assert res.pl()["close"].to_list() == df["close"].tolist()
    assert "58 rows" in repr(res)
    empty = rustybt.sql(small_bundle, "SELECT 1 WHERE false")
    assert len(empty) == 0 and empty.fetchall() == []


def test_bundle_sql_is_cached_per_version(small_bundle: Bundle) -> None:
    from rustybt.data.sql.engine import bundle_sql

    first = bundle_sql(small_bundle)
    assert bundle_sql(Bundle(small_bundle.path)) is first
    first.close()
    first.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        first.new_cursor()
    second = bundle_sql(small_bundle)
    assert second is not first  # a closed one is replaced


def test_bundle_sql_cache_is_bounded(tmp_path: Path) -> None:
    from rustybt.data.sql import engine as sql_module

    one = BundleSpec.from_bars(
        {1: bars_from_close(SESSIONS[:2], np.ones(2), np.ones(2))}, end_date=SESSIONS[-1]
    )
    bundles = [make_bundle(tmp_path / str(i), one, name=f"b{i}") for i in range(10)]
    engines = [sql_module.bundle_sql(b) for b in bundles]
    assert len(sql_module._CACHE) == sql_module._CACHE_SIZE
    assert sql_module.bundle_sql(bundles[-1]) is engines[-1]
    assert sql_module.bundle_sql(bundles[0]) is not engines[0]  # evicted, rebuilt
    for e in engines:
        e.close()


def test_empty_bundle_without_bars(tmp_path: Path) -> None:
    spec = BundleSpec.from_bars(
        {1: bars_from_close(SESSIONS[:2], np.ones(2), np.ones(2))}, end_date=SESSIONS[-1]
    )
    bundle = make_bundle(tmp_path, spec, name="t")
    with BundleSQL(bundle, threads=1) as s:
        assert s.query("SELECT count(*) FROM minute_bars").fetchall() == [(0,)]
        with s.session() as session:
            session.query("CREATE TEMP VIEW mine AS SELECT 1 AS x")
            assert session.query("SELECT x FROM mine").fetchall() == [(1,)]
            assert "SQLSession" in repr(session)
        assert len(s.query("SELECT * FROM daily_bars_adjusted")) == 2
        assert "BundleSQL" in repr(s)


def test_portal_and_bundle_delegate_to_sql(small_bundle: Bundle) -> None:
    from rustybt import ArrowDataPortal

    q = "SELECT sid, count(*) AS n FROM daily_bars GROUP BY sid ORDER BY sid"
    want = [(1, 30), (2, 28)]
    assert ArrowDataPortal(small_bundle).sql(q).fetchall() == want
    assert rustybt.sql(small_bundle, q).fetchall() == want
    assert sql(small_bundle, q).fetchall() == want
