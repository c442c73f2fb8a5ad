"""`rustybt sql`: every output format round-trips; the interactive prompt reads stdin."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from cli_support import rustybt as rustybt_cli

import rustybt
from rustybt import Bundle
from rustybt.cli import main

QUERY = "SELECT sid, date, close, volume FROM daily_bars_adjusted WHERE sid = ? ORDER BY date"


def _run(root: Path, *args: str) -> int:
    return main(["--root", str(root), "sql", *args])


def _expected(bundle: Bundle) -> pd.DataFrame:
    return rustybt.sql(bundle, QUERY, [2]).df()


def _check(frame: pd.DataFrame, want: pd.DataFrame) -> None:
    assert frame["sid"].tolist() == want["sid"].tolist()
    assert pd.DatetimeIndex(pd.to_datetime(frame["date"])).equals(pd.DatetimeIndex(want["date"]))
    np.testing.assert_allclose(frame["close"].to_numpy(float), want["close"], rtol=1e-15)
    np.testing.assert_allclose(frame["volume"].to_numpy(float), want["volume"], rtol=1e-15)


def test_parquet_round_trip(small_bundle: Bundle, tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    assert _run(tmp_path, "t", QUERY, "-p", "2", "--format", "parquet", "-o", str(out)) == 0
    assert pq.read_table(out).equals(rustybt.sql(small_bundle, QUERY, [2]).arrow())


@pytest.mark.parametrize("to_file", [False, True])
def test_csv_round_trip(
    small_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str], to_file: bool
) -> None:
    out = tmp_path / "r.csv"
    extra = ["-o", str(out)] if to_file else []
    assert _run(tmp_path, "t", QUERY, "--param", "2", "--format", "csv", *extra) == 0
    text = out.read_text() if to_file else capsys.readouterr().out
    _check(pcsv.read_csv(io.BytesIO(text.encode())).to_pandas(), _expected(small_bundle))


def test_json_round_trip(
    small_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path, "t", QUERY, "-p", "2", "--format", "json") == 0
    rows = json.loads(capsys.readouterr().out)
    _check(pl.DataFrame(rows).to_pandas(), _expected(small_bundle))


def test_table_format(
    small_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path, "t", QUERY, "-p", "2", "--max-rows", "5") == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[0].split() == ["sid", "date", "close", "volume"]
    assert lines[-1] == "(28 rows, first 5 shown)"
    want = _expected(small_bundle)
    first = lines[1].split()
    assert first[1] == f"{want['date'].iloc[0]:%Y-%m-%d}"
    assert float(first[2]) == pytest.approx(want["close"].iloc[0], rel=1e-6)
    out = tmp_path / "all.txt"
    assert _run(tmp_path, "t", QUERY, "-p", "2", "-o", str(out)) == 0
    assert out.read_text().splitlines()[-1] == "(28 rows)"  # a file gets every row


def test_version_and_path_forms(
    small_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    q = "SELECT count(*) AS n FROM assets"
    assert _run(tmp_path, "t", q, "--version", small_bundle.version[:10], "--format", "csv") == 0
    assert capsys.readouterr().out.split() == ["n", "2"]
    assert _run(tmp_path, str(small_bundle.path), q, "--format", "csv") == 0
    assert capsys.readouterr().out.split() == ["n", "2"]


def test_errors(small_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, "t", "SELECT nope FROM daily_bars") == 1
    err = capsys.readouterr().err
    assert "Binder Error" in err and "daily_bars_adjusted" in err
    assert _run(tmp_path, "t", "COPY daily_bars TO '/tmp/x.csv'") == 1
    assert "refused" in capsys.readouterr().err
    assert _run(tmp_path, "missing", "SELECT 1") == 2
    assert "missing" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="needs --output"):
        _run(tmp_path, "t", "SELECT 1", "--format", "parquet")
    small_bundle.verify()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "table"])
def test_output_inside_a_bundle_is_refused(
    small_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """--output never overwrites (or adds) a file in the root's bundles directory."""
    victim = small_bundle.path / "daily" / "1.parquet"
    before = victim.read_bytes()
    targets = [
        victim,  # a bar file of the current version
        small_bundle.path / "new.csv",  # a new file in a version
        small_bundle.path.parent / "x.csv",  # the bundle's own directory
        tmp_path / "bundles" / "other" / ".." / "y.csv",  # the bundles directory, via '..'
    ]
    q = "SELECT 1 AS x"
    for target in targets:
        for bundle in ("t", str(small_bundle.path)):
            assert _run(tmp_path, bundle, q, "--format", fmt, "-o", str(target)) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "refusing to write --output" in err
            assert str(target) in err and str((tmp_path / "bundles").resolve()) in err
    assert victim.read_bytes() == before
    assert not (small_bundle.path / "new.csv").exists()
    small_bundle.verify()
    # A bundle given by path outside the root: its own directory is protected too.
    other_root = tmp_path / "elsewhere"
    other_root.mkdir()
    assert _run(other_root, str(small_bundle.path), q, "-o", str(victim)) == 2
    assert "refusing to write" in capsys.readouterr().err
    small_bundle.verify()


def test_output_in_a_missing_directory_is_a_clear_error(
    small_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt in ("csv", "parquet"):
        assert (
            _run(tmp_path, "t", "SELECT 1 AS x", "--format", fmt, "-o", "/nonexistent/x.csv") == 2
        )
        err = capsys.readouterr().err
        assert err == (
            "rustybt sql: cannot write --output /nonexistent/x.csv: "
            "directory /nonexistent does not exist\n"
        )
    assert _run(tmp_path, "t", "SELECT 1 AS x", "-o", str(tmp_path)) == 2
    assert "is a directory" in capsys.readouterr().err
    # In a real process: one line on stderr, no traceback.
    proc = rustybt_cli("--root", str(tmp_path), "sql", "t", "SELECT 1", "-o", "/nonexistent/x.csv")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert "/nonexistent" in proc.stderr


SESSION = """.tables
.schema splits
.schema nope
.help
.bogus
SELECT count(*) AS n
  FROM daily_bars
 WHERE sid = 1;
SELECT nope;
CREATE TEMP TABLE mine AS SELECT 41 + 1 AS answer;
SELECT * FROM mine;
CREATE TEMP VIEW v AS SELECT 1;
COPY mine TO '/tmp/escape.csv';
.quit
SELECT 'never reached';
"""


def test_interactive_prompt_from_stdin(
    small_bundle: Bundle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(SESSION))
    assert _run(tmp_path, "t") == 0
    out = capsys.readouterr().out
    assert "daily_bars_adjusted\n" in out and "sessions\n" in out  # .tables
    assert "splits (\n    sid BIGINT,\n    effective_date DATE,\n    ratio DOUBLE\n)" in out
    assert "error: no relation 'nope'" in out
    assert "Statements end with ';'" in out  # .help
    assert "unknown command '.bogus'" in out
    assert re.search(r" n\n\s*30\n\(1 row\)", out)  # the multi-line statement ran
    assert 'Referenced column "nope"' in out  # an error does not end the session
    assert re.search(r"answer\n\s+42\n\(1 row\)", out)  # TEMP tables live for the session
    assert "refused by the read-only SQL sandbox" in out
    assert "never reached" not in out
    small_bundle.verify()


def test_interactive_unterminated_statement(
    small_bundle: Bundle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("SELECT 1\n"))
    assert _run(tmp_path, "t") == 1
    assert "missing ';'" in capsys.readouterr().out


def test_console_script_in_a_real_process(small_bundle: Bundle, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rustybt", "--root", str(tmp_path), "sql", "t"],
        input="SELECT symbol FROM assets ORDER BY sid;\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "S1" in proc.stdout and "S2" in proc.stdout


RUNAWAY = "SELECT max(hash(range)) FROM range(1000000000000)"


def test_timeout_memory_limit_and_spill_options(
    small_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path, "t", RUNAWAY, "--timeout", "0.2") == 1
    err = capsys.readouterr().err
    assert err.startswith("rustybt sql: query interrupted after its timeout of 0.2 s")
    assert _run(tmp_path, "t", "SELECT 1", "--timeout", "0") == 1
    assert "timeout must be a positive number" in capsys.readouterr().err
    q = "SELECT current_setting('memory_limit') AS m"
    assert _run(tmp_path, "t", q, "--memory-limit", "100MB", "--spill", "--format", "csv") == 0
    assert capsys.readouterr().out.splitlines() == ["m", '"95.3 MiB"']
    assert list((tmp_path / "tmp").iterdir()) == []  # the private spill directory is gone
    assert _run(tmp_path, "t", "SELECT 1", "--memory-limit", "lots") == 2
    assert "--memory-limit lots" in capsys.readouterr().err
    small_bundle.verify()


def _startup_cpu(cmd: list[str], env: dict[str, str]) -> float:
    """CPU seconds a ``rustybt sql`` process spends on imports and catalog (a trivial query)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, capture_output=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _wait_until_querying(pid: int, startup_cpu: float) -> None:
    """Poll until the process has burnt well past its start-up CPU: it is inside the query.

    CPU time, not wall time: a fixed sleep raced the imports on a loaded machine, and SIGINT
    then landed before the query started.
    """
    import time

    import psutil

    proc = psutil.Process(pid)
    while True:
        try:
            cpu = proc.cpu_times()
        except psutil.NoSuchProcess:
            raise AssertionError("the sql process exited before its query ran") from None
        if cpu.user + cpu.system > 1.5 * startup_cpu + 1.0:
            return
        time.sleep(0.1)


def test_ctrl_c_interrupts_the_query(small_bundle: Bundle, tmp_path: Path) -> None:
    """A real process running a runaway query: SIGINT stops it, exit 130, one line."""
    import os
    import signal

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    base = [sys.executable, "-m", "rustybt", "--root", str(tmp_path), "sql", "t"]
    startup = _startup_cpu([*base, "SELECT 1"], env)
    proc = subprocess.Popen(
        [*base, RUNAWAY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        _wait_until_querying(proc.pid, startup)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)  # hangs (and fails) if Ctrl-C is ignored
    finally:
        if proc.poll() is None:  # never leave a runaway query behind
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert err == "rustybt sql: interrupted\n" and out == ""
    small_bundle.verify()
