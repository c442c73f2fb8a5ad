"""Validation of minute bars, the asset table, symbol history and every adjustment table."""

from __future__ import annotations

import pandas as pd
import pytest

from rustybt import BundleWriter, IngestError, IngestWarning


def _minutes(dts, **cols):
    n = len(dts)
    base = {
        "dt": dts,
        "open": [1.0] * n,
        "high": [1.0] * n,
        "low": [1.0] * n,
        "close": [1.0] * n,
        "volume": [1] * n,
    }
    base.update(cols)
    return pd.DataFrame(base)


def _daily(dates):
    return pd.DataFrame(
        {
            "date": pd.to_datetime(dates),
            "open": 1.0,
            "high": 1.0,
            "low": 1.0,
            "close": 1.0,
            "volume": 1,
        }
    )


@pytest.fixture
def writer(tmp_path):
    w = BundleWriter(tmp_path / "b", name="b")
    yield w
    w.abort()


@pytest.mark.parametrize(
    ("dts", "row", "reason"),
    [
        (["2024-01-02 14:31", "2024-01-02 14:30"], 2, "not increasing"),
        (["2024-01-02 14:31", "2024-01-02 14:31"], 2, "duplicate date"),
        (["2024-01-02 14:30"], 1, "not a XNYS trading minute"),  # the open: left label
        (["2024-01-02 21:01"], 1, "not a XNYS trading minute"),  # after the close
        (["2024-01-06 15:00"], 1, "not a XNYS trading minute"),  # Saturday
        (["2024-11-29 18:00", "2024-11-29 18:01"], 2, "not a XNYS trading minute"),  # early close
        (["2024-01-02 14:31:30"], 1, "not a XNYS trading minute"),  # not a whole minute
        (["1960-01-04 15:00"], 1, "outside the calendar's range"),
    ],
)
def test_minute_timestamps(writer, dts, row, reason):
    with pytest.raises(IngestError, match=reason) as info:
        writer.write_minute_bars(0, _minutes(dts), label="m.csv")
    assert info.value.row == row and info.value.column == "dt" and info.value.file == "m.csv"


def test_minute_bars_right_labelled_and_tz_aware_input_accepted(writer):
    dts = pd.DatetimeIndex(["2024-01-02 09:31", "2024-01-02 16:00"], tz="America/New_York")
    writer.write_minute_bars(0, _minutes(dts))
    writer.write_minute_bars(1, _minutes([]))  # empty frames write nothing
    assert sorted(p.name for p in (writer.tmp_dir / "minute").iterdir()) == ["0.parquet"]


def test_minutes_inside_a_lunch_break_are_rejected(tmp_path):
    w = BundleWriter(tmp_path / "h", name="h", calendar_name="XHKG")
    try:
        w.write_minute_bars(0, _minutes(["2024-01-03 04:00", "2024-01-03 05:01"]))  # ok
        with pytest.raises(IngestError, match="not a XHKG trading minute"):
            w.write_minute_bars(1, _minutes(["2024-01-03 04:01"]))
    finally:
        w.abort()


def test_minute_empty_rows_are_dropped(writer):
    frame = _minutes(["2024-01-02 14:31", "2024-01-02 14:32"])
    frame.loc[1, ["open", "high", "low", "close"]] = float("nan")
    frame.loc[1, "volume"] = 0
    with pytest.warns(IngestWarning, match="1 row"):
        writer.write_minute_bars(0, frame)


def test_daily_bars_from_a_datetime_index(writer):
    frame = _daily(["2024-01-02", "2024-01-03"]).set_index("date")
    writer.write_daily_bars(0, frame)
    assert (writer.tmp_dir / "daily" / "0.parquet").exists()
    writer.write_daily_bars(1, _daily([]))


def test_daily_bars_with_tz_aware_dates(writer):
    frame = _daily(["2024-01-02", "2024-01-03"])
    frame["date"] = frame["date"].dt.tz_localize("UTC")
    writer.write_daily_bars(0, frame)


@pytest.mark.parametrize(
    ("assets", "row", "column", "reason"),
    [
        ({"sid": [0, "x"], "symbol": ["A", "B"]}, 2, "sid", "not an integer"),
        ({"sid": [0, 1.5], "symbol": ["A", "B"]}, 2, "sid", "not an integer"),
        ({"sid": [3, 3], "symbol": ["A", "B"]}, 2, "sid", "duplicate sid"),
        ({"sid": [0, 1], "symbol": ["A", ""]}, 2, "symbol", "empty symbol"),
        (
            {"sid": [0], "symbol": ["A"], "start_date": ["2024-02-01"], "end_date": ["2024-01-01"]},
            1,
            "end_date",
            "end_date before start_date",
        ),
        (
            {"sid": [0], "symbol": ["A"], "start_date": ["someday"]},
            1,
            "start_date",
            "unparseable date",
        ),
    ],
)
def test_asset_table_errors(writer, assets, row, column, reason):
    with pytest.raises(IngestError, match=reason) as info:
        writer.write_assets(pd.DataFrame(assets))
    assert (info.value.file, info.value.row, info.value.column) == ("assets", row, column)


def test_asset_table_missing_columns(writer):
    with pytest.raises(IngestError, match=r"missing required column\(s\) \['symbol'\]"):
        writer.write_assets(pd.DataFrame({"sid": [0]}))


def test_symbol_history_with_unknown_sid(writer):
    history = pd.DataFrame({"sid": [9], "symbol": ["A"], "start_date": [None], "end_date": [None]})
    with pytest.raises(IngestError, match="unknown sid") as info:
        writer.write_assets(pd.DataFrame({"sid": [0], "symbol": ["A"]}), history)
    assert info.value.file == "symbol_history"


def test_tz_aware_asset_dates_become_utc_dates(tmp_path):
    with BundleWriter(tmp_path / "b", name="b") as w:
        w.write_assets(
            pd.DataFrame(
                {"sid": [0], "symbol": ["A"], "start_date": [pd.Timestamp("2024-01-02", tz="UTC")]}
            )
        )
        w.write_daily_bars(0, _daily(["2024-01-02"]))
    from rustybt.data.bundles import Bundle

    assets = Bundle(w.version_dir).read_assets()
    assert assets["start_date"].iloc[0] == pd.Timestamp("2024-01-02")


def _commit_with(tmp_path, **adjustments):
    with BundleWriter(tmp_path / "b", name="b") as w:
        w.write_assets(pd.DataFrame({"sid": [0, 1], "symbol": ["A", "B"]}))
        w.write_daily_bars(0, _daily(["2024-01-02", "2024-01-03", "2024-01-04"]))
        w.write_daily_bars(1, _daily(["2024-01-02", "2024-01-03", "2024-01-04"]))
        w.write_adjustments(**adjustments)
    from rustybt.data.bundles import Bundle

    return Bundle(w.version_dir)


def test_mergers_and_stock_dividends_are_written_sorted(tmp_path):
    bundle = _commit_with(
        tmp_path,
        mergers=pd.DataFrame(
            {"sid": [1, 0], "effective_date": ["2024-01-03", "2024-01-04"], "ratio": [0.9, 0.8]}
        ),
        stock_dividends=pd.DataFrame(
            {
                "sid": [0],
                "ex_date": ["2024-01-03"],
                "payment_sid": [1],
                "ratio": [0.1],
                "pay_date": ["2024-01-20"],
            }
        ),
    )
    assert bundle.read_mergers()["sid"].tolist() == [0, 1]
    sd = bundle.read_stock_dividends()
    assert sd["payment_sid"].tolist() == [1] and sd["pay_date"].iloc[0] == pd.Timestamp(
        "2024-01-20"
    )
    assert pd.isna(sd["record_date"].iloc[0])


@pytest.mark.parametrize(
    ("key", "frame", "row", "column", "reason"),
    [
        (
            "mergers",
            {"sid": [0], "effective_date": ["2024-01-03"], "ratio": ["x"]},
            1,
            "ratio",
            "ratio must be",
        ),
        (
            "splits",
            {"sid": [0], "effective_date": ["2024-01-03"], "ratio": [float("inf")]},
            1,
            "ratio",
            "ratio must be",
        ),
        (
            "splits",
            {"sid": [0], "effective_date": ["nope"], "ratio": [0.5]},
            1,
            "effective_date",
            "unparseable date",
        ),
        (
            "stock_dividends",
            {"sid": [0], "ex_date": ["2024-01-03"], "payment_sid": ["z"], "ratio": [0.1]},
            1,
            "payment_sid",
            "not an integer",
        ),
        (
            "dividends",
            {"sid": [0], "ex_date": ["2024-01-03"], "amount": [float("nan")]},
            1,
            "amount",
            "finite number",
        ),
        (
            "dividends",
            {"sid": [0], "ex_date": ["2024-01-03"], "amount": [1.0], "pay_date": ["never"]},
            1,
            "pay_date",
            "unparseable date",
        ),
    ],
)
def test_adjustment_errors(tmp_path, key, frame, row, column, reason):
    with pytest.raises(IngestError, match=reason) as info:
        _commit_with(tmp_path, **{key: pd.DataFrame(frame)})
    assert (info.value.file, info.value.row, info.value.column) == (key, row, column)
    assert list((tmp_path / "b").iterdir()) == []


def test_adjustment_table_missing_columns(tmp_path):
    with pytest.raises(IngestError, match=r"missing required column\(s\) \['ratio'\]"):
        _commit_with(tmp_path, splits=pd.DataFrame({"sid": [], "effective_date": []}))


def test_dividend_for_an_asset_without_bars(tmp_path):
    with (
        pytest.raises(IngestError, match="no bar for sid 5"),
        BundleWriter(tmp_path / "b", name="b") as w,
    ):
        w.write_assets(pd.DataFrame({"sid": [0, 5], "symbol": ["A", "B"]}))
        w.write_daily_bars(0, _daily(["2024-01-02"]))
        w.write_adjustments(
            dividends=pd.DataFrame({"sid": [5], "ex_date": ["2024-01-02"], "amount": [0.1]})
        )


def test_given_dividend_ratios_are_kept_and_need_no_bar(tmp_path):
    """A ``ratio`` column is the source's (e.g. zipline's stored ratios): kept as given, NaN
    meaning no price adjustment, and an ex_date without a bar (2024-01-05) is fine."""
    bundle = _commit_with(
        tmp_path,
        dividends=pd.DataFrame(
            {
                "sid": [0, 0, 1],
                "ex_date": ["2024-01-03", "2024-01-05", "2024-01-04"],
                "amount": [2.0, 1.0, 0.5],  # 2.0 ≥ the previous close 1.0: recomputed ≤ 0
                "ratio": [0.98, float("nan"), 0.995],
            }
        ),
    )
    div = bundle.read_dividends()
    assert div["ex_date"].dt.strftime("%m-%d").tolist() == ["01-03", "01-05", "01-04"]
    assert div["ratio"].tolist()[0] == 0.98 and div["ratio"].tolist()[2] == 0.995
    assert pd.isna(div["ratio"].iloc[1])


@pytest.mark.parametrize("ratio", [0.0, -0.5, float("inf"), "x"])
def test_given_dividend_ratio_must_be_positive_or_empty(tmp_path, ratio):
    frame = {"sid": [0, 0], "ex_date": ["2024-01-03"] * 2, "amount": [1.0] * 2,
             "ratio": [0.9, ratio]}  # fmt: skip
    with pytest.raises(IngestError, match="dividend ratio must be a finite number > 0") as info:
        _commit_with(tmp_path, dividends=pd.DataFrame(frame))
    assert (info.value.file, info.value.row, info.value.column) == ("dividends", 2, "ratio")


@pytest.mark.parametrize("minute", [False, True], ids=["daily", "minute"])
def test_missing_prices_only_where_allowed(tmp_path, minute):
    """A traded row with a price missing is an error, unless ``missing_prices`` keeps it (NaN
    in that field only, as zipline stores such bars)."""
    if minute:
        bars = _minutes(["2024-01-02 14:31", "2024-01-02 14:32"], open=[1.0, float("nan")])
    else:
        bars = _daily(["2024-01-02", "2024-01-03"])
        bars.loc[1, "open"] = float("nan")
    write = "write_minute_bars" if minute else "write_daily_bars"
    with (
        pytest.raises(IngestError, match="missing price") as info,
        BundleWriter(tmp_path / "a", name="a") as w,
    ):
        w.write_assets(pd.DataFrame({"sid": [0], "symbol": ["A"]}))
        getattr(w, write)(0, bars)
    assert (info.value.row, info.value.column) == (2, "open")
    with BundleWriter(tmp_path / "b", name="b") as w:
        w.write_assets(pd.DataFrame({"sid": [0], "symbol": ["A"]}))
        getattr(w, write)(0, bars, missing_prices=True)
    from rustybt.data.bundles import Bundle

    stored = Bundle(w.version_dir).read_bars("minute" if minute else "daily", 0)
    assert stored["open"].isna().tolist() == [False, True]
    assert stored["close"].tolist() == [1.0, 1.0] and stored["volume"].tolist() == [1, 1]


def test_calendar_with_a_late_lower_bound(tmp_path):
    """XTKS holidays start in 1997: the writer falls back to the calendar's own default start."""
    with BundleWriter(tmp_path / "t", name="t", calendar_name="XTKS") as w:
        w.write_assets(pd.DataFrame({"sid": [0], "symbol": ["7203"]}))
        w.write_daily_bars(0, _daily(["2024-01-04", "2024-01-05"]))
    assert w.manifest is not None and w.manifest.calendar_name == "XTKS"
