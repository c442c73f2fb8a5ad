"""WalkForward: exact, non-overlapping windows; optimise in sample, test out of sample."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustybt.api as api
from rustybt import Bundle, run_algorithm
from rustybt.engine.metrics import summary
from rustybt.optimization import (
    AlgorithmWorkload,
    FunctionWorkload,
    GridSearch,
    IntRange,
    Objective,
    ParameterSpace,
    SerialExecutor,
    WalkForward,
)
from rustybt.testing import session_span

SESSIONS = session_span(60, "2022-01-03")


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 60), train=st.integers(1, 20), test=st.integers(1, 15),
       extra=st.integers(0, 5), anchored=st.booleans())
def test_windows_follow_the_documented_rule(n: int, train: int, test: int, extra: int,
                                             anchored: bool) -> None:
    s = SESSIONS[:n]
    wf = WalkForward(train, test, test + extra, "anchored" if anchored else "rolling")
    if n < train + test:
        with pytest.raises(ValueError, match=f"{train + test} sessions"):
            wf.windows(s)
        return
    windows = wf.windows(s)
    pos = {d: i for i, d in enumerate(s)}
    tested: list[int] = []
    for k, w in enumerate(windows):
        t = train + k * (test + extra)
        assert w.index == k
        assert (pos[w.test_start], pos[w.test_end]) == (t, t + test - 1)
        assert pos[w.train_end] == t - 1  # train ends the session before the test starts
        assert pos[w.train_start] == (0 if anchored else t - train)
        assert w.train_sessions == pos[w.train_end] - pos[w.train_start] + 1
        assert w.test_sessions == test
        tested += range(t, t + test)
    assert len(tested) == len(set(tested))  # test windows never overlap
    if extra == 0:  # they tile s[train : train + k * test] exactly
        assert tested == list(range(train, train + len(windows) * test))
    last = pos[windows[-1].test_end]
    assert wf.untested(s) == n - 1 - last
    assert n - 1 - last < test + extra  # another window would not fit


def test_windows_of_a_small_example() -> None:
    s = SESSIONS[:50]
    rolling = WalkForward(train=10, test=7).windows(s)
    assert [(w.test_start, w.test_end) for w in rolling] == [
        (s[t], s[t + 6]) for t in (10, 17, 24, 31, 38)]
    assert [w.train_start for w in rolling] == [s[t - 10] for t in (10, 17, 24, 31, 38)]
    anchored = WalkForward(train=10, test=7, mode="anchored").windows(s)
    assert {w.train_start for w in anchored} == {s[0]}
    assert [w.train_sessions for w in anchored] == [10, 17, 24, 31, 38]
    assert WalkForward(train=10, test=7).untested(s) == 5


@pytest.mark.parametrize("kwargs", [
    {"train": 10, "test": 5, "step": 4}, {"train": 0, "test": 5}, {"train": 10, "test": 2.5},
    {"train": "252D", "test": 5}, {"train": 10, "test": 5, "mode": "expanding"},
])
def test_bad_windows_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        WalkForward(**kwargs)


def test_unordered_sessions_are_refused() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        WalkForward(2, 2).windows(SESSIONS[:6][::-1])


def dma_hooks(params: dict[str, Any]) -> dict[str, Any]:
    short, long_ = params["short"], params["long"]

    def initialize(context: Any) -> None:
        context.assets = [api.symbol(s) for s in ("S0", "S1", "S2")]

    def handle_data(context: Any, data: Any) -> None:
        hist = data.history(context.assets, "price", long_, "1d", return_type="array")
        fast, slow = hist[-short:].mean(axis=0), hist.mean(axis=0)
        for j, asset in enumerate(context.assets):
            api.order_target_percent(asset, 0.3 if fast[j] > slow[j] else 0.0)

    return {"initialize": initialize, "handle_data": handle_data}


def test_walk_forward_on_the_engine(algo_bundle: Bundle) -> None:
    root = algo_bundle.path.parents[2]
    s = algo_bundle.sessions
    space = ParameterSpace({"short": IntRange(2, 4, 2), "long": IntRange(8, 12, 4)})

    def make(first: pd.Timestamp, last: pd.Timestamp) -> AlgorithmWorkload:
        return AlgorithmWorkload(dma_hooks, "algo", first, last, root=root)

    wf = WalkForward(train=15, test=10)
    res = wf.run(make, space, GridSearch, s[25], s[-1], calendar=algo_bundle.calendar,
                 objective=Objective("sharpe"), executor=SerialExecutor())
    table = res.to_pandas()
    assert list(table["status"]) == ["ok"] * 3 and res.untested == 0
    assert list(table["test_start"]) == [s[40], s[50], s[60]]
    assert list(table["test_end"]) == [s[49], s[59], s[69]]
    assert list(table["train_start"]) == [s[25], s[35], s[45]]
    for row, study in zip(table.itertuples(), res.studies, strict=True):
        assert len(study.trials) == 4
        assert {"short": row.short, "long": row.long} == study.best_params
        assert row.in_sample == study.best_value
        # out of sample: the engine itself, run directly on the test window
        perf = run_algorithm(row.test_start, row.test_end, capital_base=1_000_000.0,
                             bundle="algo", root=root, params=study.best_params,
                             **dma_hooks(study.best_params))
        direct = summary(perf)
        assert row.oos_sharpe == direct["sharpe"] and row.oos_value == direct["sharpe"]
        assert row.oos_total_return == direct["total_return"]
        window = res.returns[row.test_start:row.test_end]
        np.testing.assert_array_equal(window.to_numpy(), perf["returns"].to_numpy())
    returns = res.returns
    assert returns is not None and returns.index.equals(pd.DatetimeIndex(s[40:70]))
    equity = res.equity
    assert equity is not None
    assert equity.iloc[-1] == pytest.approx(float(np.prod(1.0 + returns.to_numpy())))


def test_function_workload_walk_forward_and_a_failed_window() -> None:
    """A FunctionWorkload has no daily returns; a window whose trials all fail is kept."""
    space = ParameterSpace({"k": IntRange(0, 4)})

    def make(first: pd.Timestamp, last: pd.Timestamp) -> FunctionWorkload:
        def fn(params: dict[str, Any], data: Any) -> dict[str, float]:
            if first == SESSIONS[10]:
                raise RuntimeError(f"no data from {first.date()}")
            # the best k is the window's month
            return {"score": -abs(params["k"] - first.month % 5)}

        return FunctionWorkload(fn)

    res = WalkForward(train=5, test=5).run(make, space, GridSearch, SESSIONS[0],
                                           SESSIONS[24], calendar=SESSIONS,
                                           objective=Objective("score"))
    table = res.to_pandas()
    # window 1 tests on 2022-01-18.. (its test run fails), window 2 trains on it (all fail)
    assert list(table["status"]) == ["ok", "failed", "failed", "ok"]
    test_failed, train_failed = table.iloc[1], table.iloc[2]
    assert test_failed["error"].startswith("test 2022-01-18..2022-01-24 with {'k': ")
    assert "RuntimeError: no data from 2022-01-18" in test_failed["error"]
    assert test_failed["in_sample"] == 0.0 and pd.isna(test_failed["oos_value"])
    assert train_failed["error"].startswith("train 2022-01-18..2022-01-24: no trial finished")
    assert "RuntimeError: no data from 2022-01-18" in train_failed["error"]
    assert pd.isna(train_failed["k"]) and pd.isna(train_failed["in_sample"])
    assert res.returns is None and res.equity is None
    ok = table[table["status"] == "ok"]
    assert list(ok["in_sample"]) == [0.0, 0.0]
    assert list(ok["k"]) == [1, 1]  # January: 1 % 5
    assert table["window"].tolist() == [0, 1, 2, 3]


def test_an_executor_is_reused_across_windows_with_the_same_results(opt_bundle: Bundle) -> None:
    """One process pool for every window: the same two worker pids train every window (each
    window ships its workload to them), and the table equals the serial one."""
    from opt_workloads import bundle_root
    from opt_workloads import dma_hooks as picklable_dma

    from rustybt.optimization import ProcessExecutor

    root, s = bundle_root(opt_bundle), opt_bundle.sessions
    space = ParameterSpace({"short": IntRange(3, 6, 3), "long": IntRange(10, 20, 10)})

    def make(first: pd.Timestamp, last: pd.Timestamp) -> AlgorithmWorkload:
        return AlgorithmWorkload(picklable_dma, "opt", first, last, root=root)

    wf = WalkForward(train=30, test=15)
    runs = {}
    executor = ProcessExecutor(2)
    for name, ex in (("serial", SerialExecutor()), ("processes", executor)):
        runs[name] = wf.run(make, space, GridSearch, s[-75], s[-1], calendar=s,
                            objective=Objective("sharpe"), executor=ex)
    serial, pooled = runs["serial"], runs["processes"]
    assert len(pooled.studies) == 3
    pd.testing.assert_frame_equal(serial.to_pandas(), pooled.to_pandas())
    per_window = [{t.worker for t in study.trials} for study in pooled.studies]
    assert all(names <= {w.name for w in executor.workers[:2]} for names in per_window), (
        per_window, executor.workers)
    assert len({w.pid for w in executor.workers}) == 2  # set up 3 times, the same 2 processes
    assert len(executor.workers) == 6
    for a, b in zip(serial.studies, pooled.studies, strict=True):
        cols = ["short", "long", "sharpe", "total_return", "value"]
        pd.testing.assert_frame_equal(a.to_pandas()[cols], b.to_pandas()[cols])
    assert executor.pids == []  # closed at the end of the run
    assert not [w.pid for w in executor.workers if psutil.pid_exists(w.pid)]
