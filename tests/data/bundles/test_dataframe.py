"""The DataFrame source: long pandas or Polars frames keyed by symbol or sid."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

from rustybt import IngestError
from rustybt.data.bundles.sources import dataframe_ingest, synthetic_frames

pytestmark = pytest.mark.filterwarnings("ignore:.*halts:rustybt.errors.IngestWarning")


@pytest.fixture(scope="module")
def frames():
    return synthetic_frames(5, 0.25, minute=True, minute_assets=2, seed=2)


def _long(frames, freq: str, key: str):
    source = frames.daily if freq == "daily" else frames.minute
    sym = frames.assets.set_index("sid")["symbol"]
    parts = [f.assign(**{key: sym[s] if key == "symbol" else s}) for s, f in source.items()]
    return (
        pd.concat(parts, ignore_index=True)
        .sample(frac=1.0, random_state=0)
        .sort_values(["dt" if freq == "minute" else "date"], kind="stable")
    )  # assets interleaved, each in time order


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_symbol_keyed_frames_round_trip(frames, ingest_source, kind):
    daily, minute = _long(frames, "daily", "symbol"), _long(frames, "minute", "symbol")
    sym = frames.assets.set_index("sid")["symbol"]
    divs = frames.dividends.assign(symbol=frames.dividends["sid"].map(sym)).drop(columns="sid")
    splits = frames.splits.assign(symbol=frames.splits["sid"].map(sym)).drop(columns="sid")
    if kind == "polars":
        daily, minute, divs, splits = (pl.from_pandas(x) for x in (daily, minute, divs, splits))
    bundle = ingest_source(dataframe_ingest(daily, minute, dividends=divs, splits=splits))
    for sid, f in frames.daily.items():  # symbols sorted → same sids as the generator
        pd.testing.assert_frame_equal(
            bundle.read_daily(sid), f.reset_index(drop=True), check_dtype=False
        )
    for sid, f in frames.minute.items():
        pd.testing.assert_frame_equal(
            bundle.read_minute(sid), f.reset_index(drop=True), check_dtype=False
        )
    pd.testing.assert_frame_equal(bundle.read_splits(), frames.splits, check_dtype=False)
    got = bundle.read_dividends().drop(columns="ratio")
    pd.testing.assert_frame_equal(got, frames.dividends, check_dtype=False)
    assert (bundle.read_assets()["exchange"] == "DATAFRAME").all()


def test_sid_keyed_frames_with_an_asset_table(frames, ingest_source):
    daily = _long(frames, "daily", "sid")
    assets = frames.assets.drop(columns=["exchange"])
    bundle = ingest_source(dataframe_ingest(daily, assets=assets, dividends=frames.dividends))
    a = bundle.read_assets().set_index("sid")
    assert a.loc[1, "start_date"] == frames.assets.set_index("sid").loc[1, "start_date"]
    assert (a["exchange"] == "DATAFRAME").all()
    assert len(bundle.read_dividends()) == len(frames.dividends)


def test_sid_keyed_frames_without_assets_get_numeric_symbols(ingest_source):
    daily = pd.DataFrame(
        {
            "sid": [42, 42],
            "date": ["2024-01-02", "2024-01-03"],
            "open": 1.0,
            "high": 2.0,
            "low": 0.5,
            "close": 1.5,
            "volume": 10,
        }
    )
    bundle = ingest_source(dataframe_ingest(daily))
    assert bundle.read_assets()[["sid", "symbol"]].values.tolist() == [[42, "42"]]


def test_key_errors(ingest_source):
    bars = pd.DataFrame(
        {"date": ["2024-01-02"], "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1}
    )
    with pytest.raises(IngestError, match="needs 'symbol' or 'sid'"):
        ingest_source(dataframe_ingest(bars))
    a = bars.assign(symbol="A")
    b = bars.assign(sid=3)
    with pytest.raises(IngestError, match="mix 'symbol' and 'sid'"):
        ingest_source(dataframe_ingest(a, b.rename(columns={"date": "dt"})))
    with pytest.raises(ValueError, match="daily and/or minute"):
        dataframe_ingest()
    with pytest.raises(TypeError, match="pandas or Polars"):
        ingest_source(dataframe_ingest([1, 2]))


def test_pandas_index_columns_are_used(ingest_source):
    bars = pd.DataFrame(
        {
            "symbol": ["A", "A"],
            "date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
            "open": 1.0,
            "high": 1.0,
            "low": 1.0,
            "close": 1.0,
            "volume": 1,
        }
    )
    bundle = ingest_source(dataframe_ingest(bars.set_index(["symbol", "date"])))
    assert len(bundle.read_daily(0)) == 2
    assert "daily=2 rows" in bundle.manifest.source["ingest_fn"]
