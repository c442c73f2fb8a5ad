"""``rustybt optimize``: a real process searches examples/optimize_dma.py on a tiny bundle; the
trials file holds one row per trial whose metrics are those of a plain run with the same
parameters; user mistakes are one line with exit status 2; Ctrl-C keeps the finished trials."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from cli_support import REPO
from cli_support import rustybt as rustybt_cli

from rustybt import Bundle
from rustybt.cli import main

EXAMPLE = REPO / "examples" / "optimize_dma.py"
START, END = "2023-02-01", "2023-04-10"


def _args(bundle: Bundle, algo: Path, *extra: str) -> list[str]:
    return ["--root", str(bundle.path.parents[2]), "optimize", "-f", str(algo), "-b", "algo",
            "-s", START, "-e", END, "--capital-base", "100000", *extra]


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_grid_of_four_writes_trials_matching_plain_runs(algo_bundle: Bundle,
                                                        tmp_path: Path) -> None:
    out, png = tmp_path / "trials.parquet", tmp_path / "heat.png"
    proc = rustybt_cli(*_args(algo_bundle, EXAMPLE, "--param", "short=3:6:3",
                              "--param", "long=10:20:10", "--param", "n_assets=2",
                              "--objective", "total_return", "-o", str(out),
                              "--plot", str(png)))
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr
    assert "trials: 4/4 trials in" in proc.stderr
    trials = pd.read_parquet(out)
    assert list(trials["number"]) == [0, 1, 2, 3]
    assert list(zip(trials["short"], trials["long"], strict=True)) == [
        (3, 10), (3, 20), (6, 10), (6, 20)]
    assert (trials["status"] == "ok").all() and (trials["n_assets"] == 2).all()
    assert {"sharpe", "sortino", "max_drawdown", "value", "duration", "worker"} <= set(trials)
    assert (trials["value"] == trials["total_return"]).all()
    assert trials["total_return"].nunique() == 4  # the parameters reached context.params

    import rustybt
    from rustybt.engine.algofile import load_algorithm_file
    from rustybt.engine.metrics import summary

    best = trials.loc[trials["value"].idxmax()]
    params = {"short": int(best["short"]), "long": int(best["long"]), "n_assets": 2}
    perf = rustybt.run_algorithm(START, END, capital_base=100000, bundle=algo_bundle,
                                 params=params, **load_algorithm_file(EXAMPLE).hooks())
    plain = summary(perf)
    for metric in ("total_return", "sharpe", "max_drawdown"):
        assert best[metric] == plain[metric], metric
    assert f"best: short={params['short']}, long={params['long']}, n_assets=2" in proc.stdout
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("trial"))
    assert lines[header].split() == ["trial", "short", "long", "n_assets", "total_return",
                                     "sharpe", "max_drawdown", "seconds"]
    assert lines[header + 1].split()[0] == str(int(best["number"]))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_failed_trials_are_kept_and_constraints_skip_points(
        algo_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "t.parquet"
    base = _args(algo_bundle, EXAMPLE, "--param", "short=5:15:10", "--param", "long=10",
                 "--param", "n_assets=1", "--no-progress", "-o", str(out))
    code, stdout, err = _main(base, capsys)
    assert code == 0, err
    trials = pd.read_parquet(out)
    assert list(trials["status"]) == ["ok", "failed"]  # short=15 >= long=10 raises
    assert trials["error"].iloc[1].startswith("ValueError: need 0 < short < long, got short=15")
    assert "optimize_dma.py" in trials["error"].iloc[1]
    assert "1 trials failed; first, trial 1: ValueError" in err
    assert "best: short=5, long=10" in stdout

    code, stdout, err = _main([*base, "--constraint", "short < long"], capsys)
    assert code == 0, err
    assert list(pd.read_parquet(out)["short"]) == [5]

    code, stdout, err = _main([*base, "--constraint", "short > long"], capsys)
    assert code == 1
    assert ("rustybt optimize: no trial finished (1 run); trial 0: ValueError: need 0 < short "
            "< long, got short=15 long=10") in err
    assert list(pd.read_parquet(out)["status"]) == ["failed"]  # the table is still written


def test_random_search_is_seeded(algo_bundle: Bundle, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    tables = []
    for seed in ("1", "1", "2"):
        out = tmp_path / f"r{len(tables)}.parquet"
        code, _, err = _main(_args(algo_bundle, EXAMPLE, "--param", "short=2:9",
                                   "--param", "long=10:40", "--param", "n_assets=1",
                                   "--search", "random", "--n-trials", "3", "--seed", seed,
                                   "--no-progress", "-o", str(out)), capsys)
        assert code == 0, err
        tables.append(pd.read_parquet(out)[["short", "long", "value"]])
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert not tables[0][["short", "long"]].equals(tables[2][["short", "long"]])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give at least one --param NAME=LOW:HIGH[:STEP]"),
        (["--param", "short"], "--param 'short': expected NAME=LOW:HIGH[:STEP]"),
        (["--param", "value=1:3"], "--param 'value': the name is taken by a column"),
        (["--param", "short=1:3", "--search", "annealing"],
         "unknown search 'annealing' (known: bayes, grid, random"),
        (["--param", "short=1:3", "--backend", "mpi"], "unknown backend 'mpi' (known: "),
        (["--param", "short=1:3", "--workers", "2", "--backend", "serial"],
         "the serial backend runs one trial at a time, not 2"),
        (["--param", "short=1:3", "--workers", "0"], "--workers must be >= 1, not 0"),
        (["--param", "short=1:3", "--n-trials", "0"], "--n-trials must be >= 1, not 0"),
        (["--param", "short=1:3", "--search", "random"],
         "a random search needs a number of trials (--n-trials N)"),
        (["--param", "short=1:3", "--objective", "profit"],
         "--objective 'profit' is not a metric (one of sharpe, "),
        (["--param", "short=1:3", "--constraint", "short < lng"],
         "--constraint 'short < lng': 'lng' is not a parameter (parameters: short)"),
        (["--param", "short=1:3", "--constraint", "short <"],
         "--constraint 'short <' is not an expression"),
        (["--param", "short=1:3", "--param", "long=4", "--plot", "x.png"],
         "--plot draws a heatmap over two parameters; this search varies 1 (short)"),
        (["--param", "short=1:3", "--param", "long=2", "--constraint", "short > long * 5"],
         "the grid is empty: no point meets the constraints"),
        (["--param", "short=1:3", "-s", "2020-01-01"], "leaves the data, which covers 2023-01-03"),
        (["--param", "short=1:3", "-b", "nope"], "nope"),
    ],
    ids=["no-param", "bad-param", "clash", "search", "backend", "serial-workers", "workers",
         "n-trials", "random-unbounded", "objective", "constraint-name", "constraint-syntax",
         "plot-dims", "empty-grid", "dates", "bundle"],
)
def test_bad_arguments_exit_2_with_one_line(
        algo_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        extra: list[str], message: str) -> None:
    argv = _args(algo_bundle, EXAMPLE, "--no-progress", "-o", str(tmp_path / "t.parquet"))
    if "-s" in extra or "-b" in extra:
        flag = extra.index("-s") if "-s" in extra else extra.index("-b")
        argv[argv.index(extra[flag]) + 1] = extra[flag + 1]
        extra = extra[:flag] + extra[flag + 2:]
    code, out, err = _main([*argv, *extra], capsys)
    assert code == 2, err
    assert err.startswith("rustybt optimize: ") and message in err, err
    assert err.count("\n") == 1 and out == ""
    assert not (tmp_path / "t.parquet").exists()


def test_ctrl_c_keeps_finished_trials(algo_bundle: Bundle, tmp_path: Path) -> None:
    marker, out = tmp_path / "second-trial", tmp_path / "t.parquet"
    algo = tmp_path / "slow.py"
    algo.write_text(textwrap.dedent(f"""\
        import pathlib, time

        def initialize(context):
            context.slow = context.params["k"] == 2

        def handle_data(context, data):
            if context.slow:
                pathlib.Path({str(marker)!r}).write_text("x")
                for _ in range(6000):
                    time.sleep(0.05)
        """))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rustybt",
         *_args(algo_bundle, algo, "--param", "k=1:3", "--objective", "total_return",
                "--no-progress", "-o", str(out))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 240  # a guard against hanging, not a measurement
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), proc.communicate(timeout=10)
        proc.send_signal(signal.SIGINT)
        stdout, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err == f"rustybt optimize: interrupted after 1 trials (written to {out})\n"
    assert "Traceback" not in stdout
    trials = pd.read_parquet(out)
    assert list(trials["k"]) == [1] and list(trials["status"]) == ["ok"]
