"""Every file in examples/ runs, through ``run_algorithm`` and through ``rustybt run``, and both
give the same results (the CLI's Parquet output read back with ``load_results``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from algo_bundles import SYMBOLS

from rustybt import Bundle, load_results, run_algorithm
from rustybt.engine.algofile import load_algorithm_file
from rustybt.engine.orders import OrderStatus

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

# name -> (first session index, data frequency, params)
CASES: dict[str, tuple[int, str, dict[str, Any]]] = {
    "dual_moving_average": (20, "daily", {"symbols": SYMBOLS, "fast": 5, "slow": 20}),
    "limit_stop_orders": (0, "daily", {"symbol": "S1"}),
    "minute_momentum": (-3, "minute", {"symbols": "S0,S1"}),
    "optimize_dma": (20, "daily", {"short": 5, "long": 20, "n_assets": 3}),
}


def test_every_example_is_tested() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.py")) == sorted(CASES)


def _check_dual_moving_average(perf: pd.DataFrame) -> None:
    assert sum(len(t) for t in perf["transactions"]) > 10
    assert set(perf["invested"]) <= {0, 1, 2, 3} and perf["invested"].max() > 0


def _check_limit_stop_orders(perf: pd.DataFrame) -> None:
    filled = [o for cell in perf["orders"] for o in cell if o["status"] == OrderStatus.FILLED]
    assert any(o["limit"] is not None and o["amount"] > 0 for o in filled)  # a dip was bought
    assert any(o["stop"] is not None and o["amount"] < 0 for o in filled)  # a stop sold
    assert (perf["open_orders"] <= 1).all()  # the weekly replacement cancels the old order


def _check_optimize_dma(perf: pd.DataFrame) -> None:
    assert sum(len(t) for t in perf["transactions"]) > 10
    assert set(perf["invested"]) <= {0, 1, 2, 3} and perf["invested"].max() > 0


def _check_minute_momentum(perf: pd.DataFrame) -> None:
    assert sum(len(t) for t in perf["transactions"]) > 5
    assert all(cell == [] for cell in perf["positions"])  # flat at every close
    assert (perf["decisions"] > 0).all()


def _fills(perf: pd.DataFrame) -> list[list[dict[str, Any]]]:
    return [
        [{k: v for k, v in t.items() if k != "order_id"} for t in cell]
        for cell in perf["transactions"]
    ]


@pytest.fixture(scope="module")
def api_runs(algo_bundle: Bundle) -> dict[str, pd.DataFrame]:
    out = {}
    for name, (first, frequency, params) in CASES.items():
        algofile = load_algorithm_file(EXAMPLES / f"{name}.py")
        s = algo_bundle.sessions
        out[name] = run_algorithm(
            s[first],
            s[-1],
            capital_base=100_000,
            bundle=algo_bundle,
            data_frequency=frequency,
            algorithm=algofile.algorithm(params),
        )
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_with_run_algorithm(name: str, api_runs: dict[str, pd.DataFrame]) -> None:
    perf = api_runs[name]
    globals()[f"_check_{name}"](perf)


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_with_the_cli(
    name: str, api_runs: dict[str, pd.DataFrame], algo_bundle: Bundle, tmp_path: Path
) -> None:
    first, frequency, params = CASES[name]
    s = algo_bundle.sessions
    out = tmp_path / "perf.parquet"
    argv = [
        "run",
        "-f",
        str(EXAMPLES / f"{name}.py"),
        "-b",
        str(algo_bundle.path),
        "-s",
        str(s[first].date()),
        "-e",
        str(s[-1].date()),
        "--capital-base",
        "100000",
        "--data-frequency",
        frequency,
        "-o",
        str(out),
        "--no-progress",
    ]
    for key, value in params.items():
        argv += ["--param", f"{key}={value}"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "rustybt", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    perf = load_results(out, asset_finder=algo_bundle.asset_finder)
    want = api_runs[name]
    np.testing.assert_array_equal(perf["portfolio_value"], want["portfolio_value"])
    assert _fills(perf) == _fills(want)  # order ids differ: a random prefix per process
    assert f"{name}.py on " in proc.stdout and "total return" in proc.stdout
