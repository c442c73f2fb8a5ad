"""Results on disk and as a picture: Parquet round trip of a real run, PNG size and content."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rustybt import Bundle, ResultsError, load_results, plot_results, run_algorithm, save_results
from rustybt.api import order, record, sid
from rustybt.engine.results import NESTED_COLUMNS


def _initialize(context: Any) -> None:
    context.assets = [sid(0), sid(1)]
    context.n = 0


def _handle_data(context: Any, data: Any) -> None:
    n = context.n
    context.n += 1
    a, b = context.assets
    if n % 5 == 0:
        order(a, 10)
        order(b, -5, limit_price=float(data.current(b, "price")) * 0.99)
    if n % 7 == 3:
        order(a, -3, stop_price=float(data.current(a, "price")) * 1.5)
    record(n=n, label=f"s{n}", flag=n % 2 == 0, when=data.current_dt)


@pytest.fixture(scope="module")
def perf(algo_bundle: Bundle) -> pd.DataFrame:
    s = algo_bundle.sessions
    return run_algorithm(
        s[5], s[40], _initialize, _handle_data, capital_base=100_000, bundle=algo_bundle
    )


def _plain(cells: pd.Series) -> list[list[dict[str, Any]]]:
    return [[{**e, "sid": e["sid"].sid} for e in cell] for cell in cells]


def test_round_trip(perf: pd.DataFrame, algo_bundle: Bundle, tmp_path: Path) -> None:
    assert sum(len(t) for t in perf["transactions"]) > 5  # the run traded
    assert any(o["limit"] is not None for c in perf["orders"] for o in c)
    assert any(o["stop"] is not None for c in perf["orders"] for o in c)
    path = save_results(perf, tmp_path / "r.parquet")
    back = load_results(path)
    assert list(back.columns) == list(perf.columns)
    scalar = [c for c in perf.columns if c not in NESTED_COLUMNS]
    pd.testing.assert_frame_equal(back[scalar], perf[scalar])
    assert back.index.equals(perf.index) and back.index.name is None
    for name in NESTED_COLUMNS:
        assert back[name].tolist() == _plain(perf[name]), name
    with_assets = load_results(path, asset_finder=algo_bundle.asset_finder)
    for name in NESTED_COLUMNS:
        assert with_assets[name].tolist() == perf[name].tolist(), name
    # sids are stored as int64 inside list<struct> columns
    schema = pq.read_schema(path)
    assert schema.field("orders").type == pa.list_(NESTED_COLUMNS["orders"])
    assert schema.field("positions").type.value_type.field("sid").type == pa.int64()


def test_round_trip_without_trades(algo_bundle: Bundle, tmp_path: Path) -> None:
    s = algo_bundle.sessions
    idle = run_algorithm(s[0], s[3], lambda c: None, capital_base=1000, bundle=algo_bundle)
    back = load_results(save_results(idle, tmp_path / "idle.parquet"))
    assert back["orders"].tolist() == [[]] * 4
    assert back["portfolio_value"].tolist() == [1000.0] * 4


def test_unstorable_recorded_value_is_refused(perf: pd.DataFrame, tmp_path: Path) -> None:
    bad = perf.copy()
    bad["asset"] = [object()] * len(bad)
    first = bad.index[0]
    with pytest.raises(ResultsError, match=rf"column 'asset' on {first}.*Parquet cannot store"):
        save_results(bad, tmp_path / "bad.parquet")
    assert not (tmp_path / "bad.parquet").exists()
    odd = perf.copy()
    odd.at[first, "orders"] = (
        [{**perf["orders"].iloc[0][0], "extra": 1}] if perf["orders"].iloc[0] else [{"extra": 1}]
    )
    with pytest.raises(ResultsError, match=r"'orders' on .*unknown field\(s\) \['extra'\]"):
        save_results(odd, tmp_path / "odd.parquet")


def test_load_refuses_foreign_parquet(tmp_path: Path) -> None:
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"x": [1]}), path)
    with pytest.raises(ResultsError, match="not rustybt results"):
        load_results(path)
    with pytest.raises(ResultsError, match="cannot read results"):
        load_results(tmp_path / "missing.parquet")


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_plot_writes_a_png_of_the_asked_size(perf: pd.DataFrame, tmp_path: Path) -> None:
    path = plot_results(perf, tmp_path / "equity.png")
    assert _png_size(path) == (1000, 600)
    assert path.stat().st_size > 10_000  # two panels with curves, not a blank canvas
    small = plot_results(perf, tmp_path / "small.png", width=4, height=3, dpi=50, title="t")
    assert _png_size(small) == (200, 150)
    with pytest.raises(ResultsError, match="at least one session"):
        plot_results(perf.iloc[:0], tmp_path / "empty.png")
    with pytest.raises(ResultsError, match="plot size must be positive"):
        plot_results(perf, tmp_path / "zero.png", width=0)
