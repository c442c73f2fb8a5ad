"""The study driver, spaces, objectives and results on the serial executor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _workloads import fails_for_odd_x, interrupts_at_x3, load_offset, paraboloid

from rustybt.optimization import (
    Choice,
    FloatRange,
    FunctionWorkload,
    GridSearch,
    IntRange,
    Objective,
    ParameterSpace,
    RandomSearch,
    Study,
)


def _space() -> ParameterSpace:
    return ParameterSpace({"x": IntRange(0, 6), "y": IntRange(-3, 1)},
                          constraints=[lambda p: p["x"] + p["y"] != 5])


def test_grid_runs_every_allowed_point_in_order_and_finds_the_best() -> None:
    space = _space()
    result = Study(FunctionWorkload(paraboloid, load_offset), space, GridSearch(),
                   Objective("score")).optimize()
    expected = [p for p in space.grid()]
    assert [t.params for t in result.trials] == expected
    assert len(expected) == 7 * 5 - 3  # (6,-1), (5,0), (4,1) break the constraint
    assert result.best_params == {"x": 3, "y": -1}
    assert result.best_value == 10.0  # the loader's offset reached the function
    frame = result.to_pandas()
    assert list(frame.columns[:5]) == ["number", "x", "y", "score", "x2"]
    assert frame["status"].eq("ok").all() and (frame["worker"] == "serial").all()
    assert frame["number"].tolist() == list(range(len(expected)))


def test_minimize_flips_the_best() -> None:
    result = Study(FunctionWorkload(paraboloid), _space(), GridSearch(),
                   Objective("score", "minimize")).optimize()
    worst = min(-(x - 3.0) ** 2 - (y + 1.0) ** 2 for x in range(7) for y in range(-3, 2)
                if x + y != 5)
    assert result.best_value == worst


def test_random_search_is_reproducible_from_the_seed() -> None:
    space = ParameterSpace({"x": IntRange(0, 100), "y": FloatRange(-1, 1),
                            "z": Choice(["a", "b"])})
    def run(seed: int) -> list[dict]:
        res = Study(FunctionWorkload(lambda p, d: {"score": 0.0}), space, RandomSearch(12),
                    Objective("score"), seed=seed).optimize()
        return [t.params for t in res.trials]
    assert run(5) == run(5)
    assert run(5) != run(6)
    assert all(space.allowed(p) for p in run(5))


def test_a_failing_trial_is_recorded_and_the_search_goes_on() -> None:
    space = ParameterSpace({"x": IntRange(0, 5)})
    result = Study(FunctionWorkload(fails_for_odd_x), space, GridSearch(),
                   Objective("score")).optimize()
    status = {t.params["x"]: t.status for t in result.trials}
    assert status == {0: "ok", 1: "failed", 2: "ok", 3: "failed", 4: "ok", 5: "failed"}
    failed = [t for t in result.trials if t.status == "failed"]
    assert all("RuntimeError: odd x=" in (t.error or "") for t in failed)
    assert result.best_params == {"x": 4}


def test_ctrl_c_keeps_the_finished_trials() -> None:
    space = ParameterSpace({"x": IntRange(0, 5)})
    result = Study(FunctionWorkload(interrupts_at_x3), space, GridSearch(),
                   Objective("score")).optimize()
    assert result.interrupted
    assert [t.params["x"] for t in result.trials] == [0, 1, 2]


def test_no_finished_trial_is_a_clear_error() -> None:
    space = ParameterSpace({"x": IntRange(1, 1)})
    result = Study(FunctionWorkload(fails_for_odd_x), space, GridSearch(),
                   Objective("score")).optimize()
    with pytest.raises(ValueError, match=r"no trial finished.*odd x=1"):
        _ = result.best_params


def test_an_unknown_objective_metric_fails_the_trial_naming_the_metrics() -> None:
    result = Study(FunctionWorkload(paraboloid), ParameterSpace({"x": IntRange(0, 1),
                   "y": IntRange(0, 0)}), GridSearch(), Objective("sharpe")).optimize()
    assert all(t.status == "failed" and "sharpe" in (t.error or "") for t in result.trials)


def test_results_round_trip_through_parquet_and_polars(tmp_path: Path) -> None:
    result = Study(FunctionWorkload(paraboloid), _space(), GridSearch(),
                   Objective("score")).optimize()
    path = result.to_parquet(tmp_path / "trials.parquet")
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, result.to_pandas())
    assert result.to_polars().shape == back.shape


def test_space_parse_and_validation() -> None:
    space = ParameterSpace.parse(["short=5:50:5", "long=60:240:20", "w=0.5:1.0:0.25",
                                  "kind=a,b", "fixed=3"])
    assert space.params["short"] == IntRange(5, 50, 5)
    assert space.params["w"].grid() == [0.5, 0.75, 1.0]
    assert space.params["kind"].grid() == ["a", "b"] and space.params["fixed"].grid() == [3]
    assert space.grid_size() == 10 * 10 * 3 * 2
    for bad in (["short"], ["short=5:50:5", "short=1:2"], ["1x=1:2"], ["x=5:1"], ["x=1:2:0"]):
        with pytest.raises(ValueError):
            ParameterSpace.parse(bad)
    with pytest.raises(ValueError, match="short=7"):
        space.validate({"short": 7, "long": 60, "w": 0.5, "kind": "a", "fixed": 3})


def test_log_ranges_sample_inside_their_bounds() -> None:
    rng = np.random.default_rng(0)
    ints, floats = IntRange(1, 1000, log=True), FloatRange(1e-4, 1.0, log=True)
    xs = [ints.sample(rng) for _ in range(500)]
    ys = [floats.sample(rng) for _ in range(500)]
    assert min(xs) >= 1 and max(xs) <= 1000 and np.median(xs) < 100  # log-uniform, not uniform
    assert min(ys) >= 1e-4 and max(ys) <= 1.0 and np.median(ys) < 0.1
