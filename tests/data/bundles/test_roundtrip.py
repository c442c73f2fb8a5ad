"""Ingest → load → read back equals the input exactly; DuckDB reads the Parquet directly."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from rustybt import load
from rustybt.data.bundles.sources import synthetic_frames, synthetic_ingest

ARGS = dict(n_assets=8, years=0.5, minute=True, minute_assets=3, seed=11)


@pytest.fixture(scope="module")
def expected():
    return synthetic_frames(**ARGS)


@pytest.fixture
def bundle(ingest_source):
    return ingest_source(synthetic_ingest(**ARGS))


def test_bars_read_back_exactly(bundle, expected):
    assert bundle.sids_with_bars("daily") == sorted(expected.daily)
    assert bundle.sids_with_bars("minute") == sorted(expected.minute)
    for sid, frame in expected.daily.items():
        pd.testing.assert_frame_equal(
            bundle.read_daily(sid), frame.reset_index(drop=True), check_dtype=True
        )
    for sid, frame in expected.minute.items():
        got = bundle.read_minute(sid)
        pd.testing.assert_frame_equal(got, frame.reset_index(drop=True))
        assert str(got["dt"].dt.tz) == "UTC"


def test_tables_read_back_exactly(bundle, expected):
    pd.testing.assert_frame_equal(bundle.read_assets(), expected.assets, check_dtype=False)
    hist = bundle.read_table("symbol_history.parquet")
    pd.testing.assert_frame_equal(hist, expected.symbol_history, check_dtype=False)
    pd.testing.assert_frame_equal(bundle.read_splits(), expected.splits, check_dtype=False)
    got = bundle.read_dividends()
    pd.testing.assert_frame_equal(got.drop(columns="ratio"), expected.dividends, check_dtype=False)
    assert bundle.read_mergers().empty and bundle.read_stock_dividends().empty


def test_dividend_ratio_is_one_minus_amount_over_previous_close(bundle, expected):
    """Plain-pandas oracle: close of the calendar session before ex_date, from the input."""
    got = bundle.read_dividends()
    assert len(got) > 0
    sessions = bundle.calendar.sessions
    for row in got.itertuples():
        prev = sessions[sessions.get_loc(row.ex_date) - 1]
        daily = expected.daily[row.sid].set_index("date")["close"]
        assert row.ratio == 1.0 - row.amount / daily.loc[prev]


def test_manifest_describes_the_version(bundle, expected):
    m = bundle.manifest
    assert m.frequencies == ("daily", "minute")
    assert m.first_session == str(expected.sessions[0].date())
    assert m.last_session == str(expected.sessions[-1].date())
    assert m.asset_count == 8
    assert m.calendar_name == "XNYS"
    assert "assets.parquet" in m.files and "daily/0.parquet" in m.files
    assert m.expected_hash() == bundle.version
    assert "synthetic_ingest(n_assets=8" in m.source["ingest_fn"]
    assert any("halts" in w for w in m.source["notes"])
    assert "warnings" not in m.source
    bundle.verify()
    assert load(bundle.name).version == bundle.version
    assert list(bundle.sessions) == list(expected.sessions)


def test_duckdb_reads_the_parquet_with_a_glob(bundle, expected):
    con = duckdb.connect()
    daily = con.execute(
        f"SELECT sid, count(*) AS n, sum(volume) AS v, max(high) AS h "
        f"FROM read_parquet('{bundle.path}/daily/*.parquet') GROUP BY sid ORDER BY sid"
    ).fetchdf()
    assert daily["sid"].tolist() == sorted(expected.daily)
    for row in daily.itertuples():
        frame = expected.daily[row.sid]
        assert row.n == len(frame)
        assert row.v == frame["volume"].sum()
        assert row.h == frame["high"].max()
    minute = con.execute(
        f"SELECT count(*), min(dt), any_value(typeof(dt)) "
        f"FROM read_parquet('{bundle.path}/minute/*.parquet')"
    ).fetchone()
    assert minute[0] == sum(len(f) for f in expected.minute.values())
    assert "TZ" in minute[2] or "TIME ZONE" in minute[2]
    splits = con.execute(
        f"SELECT * FROM read_parquet('{bundle.path}/adjustments/splits.parquet')"
    ).fetchdf()
    assert len(splits) == len(expected.splits)


def test_daily_schema_types(bundle):
    import pyarrow.parquet as pq

    schema = pq.read_schema(bundle.path / "daily" / "0.parquet")
    assert [str(t) for t in schema.types] == [
        "int64",
        "date32[day]",
        "double",
        "double",
        "double",
        "double",
        "int64",
    ]
    schema = pq.read_schema(bundle.path / "minute" / "0.parquet")
    assert str(schema.field("dt").type) == "timestamp[ns, tz=UTC]"


def test_sids_without_minute_bars_read_empty(bundle):
    empty = bundle.read_minute(7)
    assert list(empty.columns) == ["dt", "open", "high", "low", "close", "volume"]
    assert len(empty) == 0
    assert np.issubdtype(empty["volume"].dtype, np.integer)
