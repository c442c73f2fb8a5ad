"""return_type='polars' / 'arrow': a table with a ``date`` column, checked against the
dataframe result (the oracle), for '1d' and '1m', one field (wide) and several (long)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from rustybt import ArrowDataPortal, InvalidReturnType
from rustybt.data.portal.tables import asset_names
from rustybt.testing import BundleSpec as Spec
from rustybt.testing import make_bundle, random_spec


def _wide_oracle(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    out = frame.copy()
    out.columns = names
    return out


def _as_pandas(table: pa.Table | pl.DataFrame) -> pd.DataFrame:
    frame = table.to_pandas()
    dates = pd.DatetimeIndex(pd.to_datetime(frame.pop("date")))
    frame.index = dates.as_unit("ns")
    return frame


def test_one_field_wide_daily_matches_the_dataframe(daily_world: tuple) -> None:
    spec, _, p = daily_world
    finder = p.asset_finder
    assets = [finder.retrieve_asset(s) for s in (2, 0, 3)]
    end = spec.sessions[30]
    for field in ("close", "price", "volume"):
        oracle = p.history(assets, field, 12, end_dt=end)
        names = [a.symbol for a in assets]
        table = p.history(assets, field, 12, end_dt=end, return_type="arrow")
        frame = p.history(assets, field, 12, end_dt=end, return_type="polars")
        assert isinstance(table, pa.Table) and isinstance(frame, pl.DataFrame)
        assert table.column_names == ["date", *names] == frame.columns
        assert table.schema.field("date").type == pa.date32()
        assert frame.schema["date"] == pl.Date
        for got in (table, frame):
            pd.testing.assert_frame_equal(_as_pandas(got), _wide_oracle(oracle, names),
                                          check_names=False, check_freq=False)


def test_one_asset_one_field_is_a_two_column_table(daily_world: tuple) -> None:
    spec, _, p = daily_world
    asset = p.asset_finder.retrieve_asset(1)
    series = p.history(asset, "open", 5, end_dt=spec.sessions[20])
    frame = p.history(asset, "open", 5, end_dt=spec.sessions[20], return_type="polars")
    assert frame.columns == ["date", "A1"]
    np.testing.assert_array_equal(frame["A1"].to_numpy(), series.to_numpy())
    assert [d.isoformat() for d in frame["date"].to_list()] == \
        [d.date().isoformat() for d in series.index]


def test_several_fields_long_format(daily_world: tuple) -> None:
    spec, _, p = daily_world
    finder = p.asset_finder
    assets = [finder.retrieve_asset(s) for s in (3, 1)]
    fields = ["close", "volume", "price"]
    oracle = p.history(assets, fields, 6, end_dt=spec.sessions[25])  # (date, asset) rows
    long = p.history(assets, fields, 6, end_dt=spec.sessions[25], return_type="polars")
    assert long.columns == ["date", "sid", "asset", *fields]
    assert long.height == 6 * 2
    assert long["sid"].to_list()[:2] == [3, 1]  # date-major, then the order passed
    want = oracle.reset_index()
    want.columns = ["date", "asset", *fields]
    want["sid"] = [a.sid for a in want["asset"]]
    got = long.to_pandas().sort_values(["date", "sid"]).reset_index(drop=True)
    want = want.sort_values(["date", "sid"]).reset_index(drop=True)
    for f in fields:
        np.testing.assert_array_equal(got[f].to_numpy(), want[f].to_numpy())
    np.testing.assert_array_equal(pd.to_datetime(got["date"]).to_numpy(),
                                  want["date"].to_numpy())
    # pivoting one field of the long table gives the wide table of that field
    wide = p.history(assets, "close", 6, end_dt=spec.sessions[25], return_type="polars")
    pivot = long.pivot(on="asset", index="date", values="close").select(wide.columns)
    assert pivot.equals(wide)
    arrow = p.history(assets[0], fields, 6, end_dt=spec.sessions[25], return_type="arrow")
    assert arrow.column_names == ["date", "sid", "asset", *fields] and arrow.num_rows == 6


def test_minute_dates_are_utc_datetimes(minute_world: tuple) -> None:
    _, _, p = minute_world
    p.store("minute")
    minutes = p.calendar_index.minutes
    end = pd.Timestamp(int(minutes[-50]), tz="UTC")
    assets = [0, 2]
    oracle = p.history(assets, "close", 30, "1m", end_dt=end)
    table = p.history(assets, "close", 30, "1m", end_dt=end, return_type="arrow")
    assert table.schema.field("date").type == pa.timestamp("ns", tz="UTC")
    assert table.column_names == ["date", "0", "2"]  # ints passed: str(sid)
    got = _as_pandas(table)
    pd.testing.assert_frame_equal(got, _wide_oracle(oracle, ["0", "2"]), check_freq=False,
                                  check_names=False)
    frame = p.history(assets, ["open", "volume"], 7, "1d", end_dt=end, data_frequency="minute",
                      return_type="polars")
    assert frame.schema["date"] == pl.Date and frame.height == 14
    frame = p.history(2, "close", 3, "1m", end_dt=end, return_type="polars")
    assert frame.schema["date"] == pl.Datetime("ns", "UTC")


def test_zipline_exact_mode_and_get_history_window(daily_world: tuple) -> None:
    spec, bundle, _ = daily_world
    p = ArrowDataPortal(bundle, zipline_exact=True)
    assets = [p.asset_finder.retrieve_asset(s) for s in (0, 1)]
    oracle = p.get_history_window(assets, spec.sessions[20], 4, "1d", "price", "daily")
    got = p.get_history_window(assets, spec.sessions[20], 4, "1d", "price", "daily",
                               return_type="arrow")
    pd.testing.assert_frame_equal(_as_pandas(got), _wide_oracle(oracle, ["A0", "A1"]),
                                  check_names=False,
                                  check_freq=False)
    with pytest.raises(InvalidReturnType, match="'arrow'"):
        p.get_history_window(assets, spec.sessions[20], 4, "1d", "price", "daily",
                             return_type="csv")


def test_asset_names() -> None:
    class A:
        def __init__(self, sid: int, symbol: str) -> None:
            self.sid, self.symbol = sid, symbol

    assert asset_names([A(1, "X"), A(2, "Y")], [1, 2]) == ["X", "Y"]
    assert asset_names([A(1, "X"), A(2, "X")], [1, 2]) == ["1", "2"]  # not unique
    assert asset_names([A(1, "X"), 2], [1, 2]) == ["1", "2"]  # an int has no symbol
    assert asset_names([A(1, ""), A(2, "Y")], [1, 2]) == ["1", "2"]
    assert asset_names([A(1, "date")], [1]) == ["1"]  # would clash with the date column
    assert asset_names([A(1, "X"), A(1, "X"), A(1, "X")], [1, 1, 1]) == ["1", "1.1", "1.2"]


def test_an_asset_passed_twice(tmp_path: Path) -> None:
    spec: Spec = random_spec(3, 2, 12)
    p = ArrowDataPortal(make_bundle(tmp_path, spec, name="t"))
    a = p.asset_finder.retrieve_asset(0)
    frame = p.history([a, a], "close", 3, end_dt=spec.sessions[5], return_type="polars")
    assert frame.columns == ["date", "0", "0.1"]
    assert frame["0"].equals(frame["0.1"].alias("0"))
