"""zipline-reloaded's TradingAlgorithm gives identical perf with zipline's DataPortal and the shim.

The strategy (rustybt.compat.zipline.reference_algo) uses data.history, data.current,
data.can_trade and order_target_percent over four assets with splits, a merger, cash and stock
dividends, halts, a late listing and a delisting.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from rustybt.compat.zipline.reference_algo import PERF_COLUMNS, run_compat_algorithm

_perf_cache: dict[tuple[int, str], pd.DataFrame] = {}


def _strip_ids(value: Any) -> Any:
    """Orders and transactions carry random uuids: compare everything else."""
    if isinstance(value, list):
        return [_strip_ids(v) for v in value]
    if isinstance(value, dict):
        return {k: _strip_ids(v) for k, v in value.items() if k not in ("id", "order_id")}
    return value


def _perf(world: Any, portal: Any, frequency: str = "daily") -> pd.DataFrame:
    sessions = world.bundle.sessions
    start, end = (sessions[6], sessions[-1]) if frequency == "daily" else sessions[20:24][[0, -1]]
    return run_compat_algorithm(
        portal, world.zipline.calendar, start, end, [0, 1, 2, 3], data_frequency=frequency
    )


def _reference(world: Any, frequency: str = "daily") -> pd.DataFrame:
    key = (id(world), frequency)
    if key not in _perf_cache:
        _perf_cache[key] = _perf(world, world.zipline.data_portal, frequency)
    return _perf_cache[key]


def _differences(want: pd.DataFrame, got: pd.DataFrame) -> list[str]:
    out = []
    if not want.index.equals(got.index):
        return ["perf index differs"]
    for column in PERF_COLUMNS:
        a, b = want[column], got[column]
        if a.dtype.kind == "f":
            if not np.array_equal(a.to_numpy(), b.to_numpy(), equal_nan=True):
                out.append(f"{column}: max |diff| {np.nanmax(np.abs(a.to_numpy() - b.to_numpy()))}")
            continue
        for dt, x, y in zip(a.index, a, b, strict=True):
            x, y = _strip_ids(x), _strip_ids(y)
            if x != y:
                out.append(f"{column} at {dt}: zipline={x!r:.300} shim={y!r:.300}")
                break
    return out


def test_strategy_trades(world: Any) -> None:
    """The strategy really exercises the engine (orders, fills, dividends, splits)."""
    perf = _reference(world)
    assert sum(len(o) for o in perf["orders"]) > 50
    assert sum(len(t) for t in perf["transactions"]) > 50
    assert perf["portfolio_value"].notna().all()


@pytest.mark.parametrize("world_name", ["world", "csv_world"])
def test_identical_perf_with_shim_over_zipline_readers(
    world_name: str, request: pytest.FixtureRequest
) -> None:
    world = request.getfixturevalue(world_name)
    assert _differences(_reference(world), _perf(world, world.shim_zipline)) == []


@pytest.mark.parametrize("world_name", ["world", "csv_world"])
def test_identical_perf_with_shim_over_rustybt_readers(
    world_name: str, request: pytest.FixtureRequest
) -> None:
    world = request.getfixturevalue(world_name)
    assert _differences(_reference(world), _perf(world, world.shim_rustybt)) == []


@pytest.mark.parametrize("shim_name", ["rustybt_readers", "zipline_readers"])
def test_identical_perf_in_minute_mode(world: Any, shim_name: str) -> None:
    want = _reference(world, "minute")
    assert sum(len(o) for o in want["orders"]) > 0
    assert _differences(want, _perf(world, world.portals[shim_name], "minute")) == []
