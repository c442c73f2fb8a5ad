"""Plots: a 2-D grid heatmap, a search history, a walk-forward equity plot (PNG files)."""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from rustybt.optimization import (
    FloatRange,
    FunctionWorkload,
    GridSearch,
    IntRange,
    Objective,
    ParameterSpace,
    RandomSearch,
    Study,
    WalkForward,
)
from rustybt.optimization.plots import heatmap_table, plot_heatmap, plot_walkforward
from rustybt.optimization.walkforward import WalkForwardResult, Window, WindowResult


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def score(params: dict[str, Any], data: Any) -> dict[str, float]:
    return {"score": float(params["a"] * 10 + params["b"])}


def grid_result(direction: str = "maximize") -> Any:
    space = ParameterSpace({"a": IntRange(1, 3), "b": IntRange(0, 4, 2)},
                           constraints=[lambda p: (p["a"], p["b"]) != (2, 2)])
    return Study(FunctionWorkload(score), space, GridSearch(),
                 Objective("score", direction), progress=False).optimize()


def test_heatmap_table_holds_the_grid_values() -> None:
    table = heatmap_table(grid_result(), "a", "b")
    assert list(table.columns) == [1, 2, 3] and list(table.index) == [0, 2, 4]
    assert table.loc[4, 3] == 34.0 and table.loc[0, 1] == 10.0
    assert math.isnan(table.loc[2, 2])  # the constraint removed (a=2, b=2)


def test_study_plot_is_a_heatmap_for_a_2d_grid(tmp_path: Path) -> None:
    path = grid_result("minimize").plot(tmp_path / "grid.png")
    assert png_size(path) == (800, 600)  # plot_heatmap's 8 x 6 inches at 100 dpi


def test_study_plot_is_a_history_otherwise(tmp_path: Path) -> None:
    space = ParameterSpace({"a": FloatRange(0, 1), "b": FloatRange(0, 1), "c": IntRange(0, 3)})
    res = Study(FunctionWorkload(score), space, RandomSearch(12), Objective("score"),
                progress=False).optimize()
    assert png_size(res.plot(tmp_path / "history.png")) == (800, 500)  # plot_history's 8 x 5


def test_heatmap_refuses_what_it_cannot_draw(tmp_path: Path) -> None:
    res = grid_result()
    with pytest.raises(ValueError, match="'c' is not a parameter"):
        plot_heatmap(res, tmp_path / "x.png", "a", "c")
    with pytest.raises(ValueError, match="two different parameters"):
        plot_heatmap(res, tmp_path / "x.png", "a", "a")

    def broken(params: dict[str, Any], data: Any) -> dict[str, float]:
        raise RuntimeError("no")

    failed = Study(FunctionWorkload(broken), ParameterSpace({"a": IntRange(1, 2),
                                                             "b": IntRange(1, 2)}),
                   GridSearch(), Objective("score"), progress=False).optimize()
    with pytest.raises(ValueError, match="no finished trial"):
        failed.plot(tmp_path / "x.png")


def test_walk_forward_plot(tmp_path: Path) -> None:
    s = pd.date_range("2022-01-03", periods=12, freq="B")
    windows = WalkForward(train=4, test=4).windows(s)
    results = [WindowResult(w, {"a": 1}, 0.5, {"score": 0.1}, 0.1,
                            pd.Series(0.01, index=s[4 + 4 * w.index: 8 + 4 * w.index]))
               for w in windows]
    wf = WalkForwardResult(results, [], ["a"], Objective("score"))
    assert wf.equity is not None and wf.equity.iloc[-1] == pytest.approx(1.01 ** 8)
    assert png_size(wf.plot(tmp_path / "wf.png")) == (1000, 600)
    no_returns = WalkForwardResult([WindowResult(windows[0], {"a": 1}, 0.5, {}, 0.1)], [],
                                   ["a"], Objective("score"))
    assert png_size(plot_walkforward(no_returns, tmp_path / "wf2.png", dpi=50)) == (500, 300)
    failed = WalkForwardResult([WindowResult(windows[0], None, None, status="failed",
                                             error="x")], [], ["a"], Objective("score"))
    with pytest.raises(ValueError, match="no walk-forward window finished"):
        failed.plot(tmp_path / "wf3.png")


def test_overlapping_returns_are_refused() -> None:
    s = pd.date_range("2022-01-03", periods=4, freq="B")
    w = Window(0, s[0], s[1], s[2], s[3], 2, 2)
    r = pd.Series(0.0, index=s[2:])
    wf = WalkForwardResult([WindowResult(w, {}, 0.0, {}, 0.0, r),
                            WindowResult(w, {}, 0.0, {}, 0.0, r)], [], [], Objective("x"))
    with pytest.raises(ValueError, match="overlap"):
        _ = wf.returns
