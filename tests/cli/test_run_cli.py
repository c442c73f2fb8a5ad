"""``rustybt run``: a real process runs an algorithm file on a bundle; every user mistake is one
clear line with the right exit status; progress never writes ``\\r`` frames into a pipe."""

from __future__ import annotations

import io
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

from rustybt import Bundle, load_results
from rustybt.cli import _run, main
from rustybt.testing import make_bundle

ALGO = """\
from rustybt.api import order_target_percent, record, symbol


def initialize(context):
    context.asset = symbol("S0")
    context.n = context.params["n"]


def handle_data(context, data):
    p = context.params
    order_target_percent(context.asset, p["w"])
    price = data.current(context.asset, "price")
    record(n=p["n"], w=p["w"], tag=p["tag"], big=p["big"], price=price)


def analyze(context, perf):
    print("analyze saw", len(perf), "sessions")
"""


def _root(bundle: Bundle) -> Path:
    return bundle.path.parents[2]  # <root>/bundles/<name>/<version>


def _write(tmp_path: Path, source: str, name: str = "algo.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def _args(
    bundle: Bundle, algo: Path, *extra: str, start: str = "2023-02-01", end: str = "2023-02-28"
) -> list[str]:
    return [
        "--root",
        str(_root(bundle)),
        "run",
        "-f",
        str(algo),
        "-b",
        "algo",
        "-s",
        start,
        "-e",
        end,
        "--capital-base",
        "100000",
        *extra,
    ]


def test_run_writes_results_plot_and_summary(algo_bundle: Bundle, tmp_path: Path) -> None:
    algo = _write(tmp_path, ALGO)
    out, png = tmp_path / "perf.parquet", tmp_path / "equity.png"
    proc = rustybt_cli(
        *_args(
            algo_bundle,
            algo,
            "-o",
            str(out),
            "--plot",
            str(png),
            "--param",
            "n=3",
            "-p",
            "w=0.5",
            "-p",
            "tag=abc",
            "-p",
            "big=1e3",
        )
    )
    assert proc.returncode == 0, proc.stderr
    # a pipe: one plain progress line at the end, no \r frames
    assert "\r" not in proc.stderr
    assert proc.stderr.startswith("backtest: 19/19 sessions in ")
    lines = proc.stdout.splitlines()
    assert lines[0] == "analyze saw 19 sessions"
    assert lines[1] == "algo.py on algo: 2023-02-01..2023-02-28, 19 sessions (daily)"
    assert [ln.split()[0] for ln in lines[2:8]] == [
        "final",
        "total",
        "annual",
        "sharpe",
        "max",
        "transactions",
    ]
    assert lines[-2:] == [f"results: {out}", f"plot: {png}"]
    perf = load_results(out)
    assert len(perf) == 19 and perf.index[0] == pd.Timestamp("2023-02-01")
    # --param values: int, then float, else string
    assert perf["n"].dtype == "int64" and perf["n"].iloc[0] == 3
    assert perf["w"].dtype == "float64" and perf["w"].iloc[0] == 0.5
    assert perf["big"].dtype == "float64" and perf["big"].iloc[0] == 1000.0
    assert perf["tag"].iloc[0] == "abc"
    total = float(lines[3].split()[-1].rstrip("%"))
    assert total == pytest.approx(100 * (perf["portfolio_value"].iloc[-1] / 100_000 - 1), abs=0.006)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_syntax_error_names_file_and_line(algo_bundle: Bundle, tmp_path: Path) -> None:
    algo = _write(tmp_path, "def initialize(context):\n    x = (\n", "broken.py")
    proc = rustybt_cli(*_args(algo_bundle, algo))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"rustybt run: algorithm file {algo}, line 2")
    assert "SyntaxError" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1


def test_ctrl_c_exits_130_without_traceback(algo_bundle: Bundle, tmp_path: Path) -> None:
    marker = tmp_path / "started"
    algo = _write(
        tmp_path,
        f"""\
        import pathlib, time

        def initialize(context):
            pass

        def handle_data(context, data):
            pathlib.Path({str(marker)!r}).write_text("x")
            for _ in range(6000):
                time.sleep(0.05)
        """,
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rustybt", *_args(algo_bundle, algo), "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 240  # a guard against hanging, not a measurement
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), proc.communicate(timeout=10)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err == "rustybt run: interrupted\n" and out == ""


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (None, "algorithm file {path} does not exist"),
        (
            "def handle_data(context, data):\n    pass\n",
            "algorithm file {path} defines no initialize(context)",
        ),
        ("initialize = 3\n", "algorithm file {path}: initialize is a int, not a function"),
        (
            "import nonexistent_module_xyz\n",
            "algorithm file {path}, line 1 failed while loading: ModuleNotFoundError",
        ),
    ],
    ids=["missing", "no-initialize", "not-callable", "import-error"],
)
def test_bad_algorithm_files(
    algo_bundle: Bundle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    source: str | None,
    message: str,
) -> None:
    path = tmp_path / "algo.py"
    if source is not None:
        path.write_text(source)
    code, out, err = _main(_args(algo_bundle, path), capsys)
    assert code == 2 and out == ""
    assert err.startswith("rustybt run: " + message.format(path=path)), err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-p", "novalue"], "--param 'novalue': expected NAME=VALUE"),
        (["-p", "2x=1"], "--param '2x=1': '2x' is not a parameter name"),
        (["-p", "a=1", "-p", "a=2"], "--param 'a=2': a is given twice"),
        (["--capital-base", "lots"], "--capital-base 'lots' is not a number"),
        (["--capital-base", "-5"], "--capital-base must be a finite number > 0"),
    ],
)
def test_bad_arguments(
    algo_bundle: Bundle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    algo = _write(tmp_path, ALGO)
    code, _out, err = _main(_args(algo_bundle, algo) + extra, capsys)
    assert code == 2
    assert err == f"rustybt run: {message}\n" or err.startswith(f"rustybt run: {message}"), err


def test_unknown_bundle_and_dates_outside_the_data(
    algo_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    algo = _write(tmp_path, ALGO)
    argv = _args(algo_bundle, algo)
    code, _, err = _main([*argv[:5], "-b", "nosuch", *argv[7:]], capsys)
    assert code == 2 and "nosuch" in err and len(err.splitlines()) == 1
    code, _, err = _main(_args(algo_bundle, algo, start="2022-06-01"), capsys)
    assert code == 2
    assert err == (
        "rustybt run: the simulation 2022-06-01..2023-02-28 leaves the data, which "
        "covers 2023-01-03..2023-04-13\n"
    )
    code, _, err = _main(_args(algo_bundle, algo, start="2023-03-01", end="2023-02-01"), capsys)
    assert code == 2 and err == "rustybt run: start 2023-03-01 is after end 2023-02-01\n"


def test_daily_only_bundle_refuses_minute(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = make_bundle(tmp_path / "r", name="algo", seed=1, n_assets=1, n_sessions=5)
    algo = _write(tmp_path, "def initialize(context):\n    pass\n")
    s = bundle.sessions
    code, _, err = _main(
        _args(
            bundle,
            algo,
            "--data-frequency",
            "minute",
            start=str(s[0].date()),
            end=str(s[-1].date()),
        ),
        capsys,
    )
    assert code == 2
    assert err == (
        "rustybt run: bundle algo has no minute bars (it has daily): choose "
        "--data-frequency daily\n"
    )


def test_algorithm_errors_name_the_line(
    algo_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    algo = _write(
        tmp_path,
        """\
        def initialize(context):
            context.k = 0

        def handle_data(context, data):
            context.k += 1
            if context.k == 3:
                1 / 0
        """,
    )
    code, out, err = _main(_args(algo_bundle, algo, "--no-progress"), capsys)
    assert code == 1 and out == ""
    assert err == (
        "rustybt run: algo.py, line 7, in handle_data: ZeroDivisionError: division "
        "by zero (--traceback for details)\n"
    )
    code, out, err = _main(_args(algo_bundle, algo, "--no-progress", "--traceback"), capsys)
    assert code == 1
    assert err.startswith("Traceback (most recent call last):")
    assert err.endswith(
        "rustybt run: algo.py, line 7, in handle_data: ZeroDivisionError: division by zero\n"
    )


def test_outputs_are_checked_before_the_run(
    algo_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "ran"
    algo = _write(
        tmp_path,
        f"""\
        import pathlib

        def initialize(context):
            pathlib.Path({str(marker)!r}).write_text("x")
        """,
    )
    inside = algo_bundle.path / "perf.parquet"
    code, _, err = _main(_args(algo_bundle, algo, "-o", str(inside)), capsys)
    assert code == 2 and "refusing to write --output" in err
    code, _, err = _main(_args(algo_bundle, algo, "--plot", str(tmp_path / "no" / "p.png")), capsys)
    assert code == 2 and err.startswith("rustybt run: cannot write --plot")
    assert not marker.exists() and not inside.exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(
    algo_bundle: Bundle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    algo = _write(tmp_path, ALGO)
    terminal = _Terminal()
    monkeypatch.setattr(_run, "PROGRESS_DELAY_S", 0.0)
    monkeypatch.setattr(sys, "stderr", terminal)
    code = main(_args(algo_bundle, algo, "-p", "n=1", "-p", "w=0.1", "-p", "tag=t", "-p", "big=2"))
    assert code == 0
    drawn = terminal.getvalue()
    assert "\r" in drawn and "backtest" in drawn and "19/19" in drawn
    assert "session" in drawn and "<" in drawn  # tqdm's elapsed<remaining (the ETA)
    capsys.readouterr()
