"""``rustybt bench evaluate``: the sequence on the built-in workload writes one decision record
per flag (JSON and Markdown, round trip) and a summary; bad arguments are one line, exit 2,
before any bundle is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from rustybt.benchmarking import DecisionRecord, SequentialEvaluation
from rustybt.cli import main

TINY = ["--assets", "2", "--sessions", "6", "--trials", "1", "--runs", "2", "--min-runs", "2",
        "--warmup", "0"]


def test_evaluate_writes_the_records(root: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "decisions"
    code = main(["bench", "evaluate", "-o", str(out), "--flags", "history_cache", "--goal",
                 "100", *TINY])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    seq = SequentialEvaluation.from_json((out / "sequence.json").read_text())
    assert seq.optimizations == ("history_cache",)
    assert seq.workload.startswith("engine dual-MA grid, 1 trials")
    assert seq.command == (
        f"rustybt bench evaluate --output {out} --flags history_cache --runs 2 "
        "--min-runs 2 --warmup 0 --goal 100.0 --min-improvement 0.05 --confidence 0.95 "
        "--max-memory-increase 0.02 --assets 2 --sessions 6 --trials 1 --backend serial "
        "--seed 0")
    assert seq.goal_speedup == 100.0 and seq.threshold.min_runs == 2
    (first,) = seq.steps
    assert DecisionRecord.from_json((out / "01-history_cache.json").read_text()) == first
    assert (out / "01-history_cache.md").read_text().startswith("# 01 · `history_cache`")
    assert first.equivalence is not None and first.equivalence.equivalent  # flags never change
    assert first.measured and first.baseline.n == 2  # type: ignore[union-attr]
    assert seq.environment["measured_in"] == "one process"
    assert "reference: all_off" in captured.err
    assert "01 history_cache: equivalent; measuring 2 interleaved runs per side" in captured.err
    lines = captured.out.splitlines()
    assert lines[0].split() == ["#", "flag", "outcome", "speedup", "[95%", "CI]", "p", "(t)",
                                "p", "(MW)", "cumulative"]
    assert lines[1].split()[:2] == ["01", "history_cache"]
    assert lines[-1] == f"records: {out}"


@pytest.mark.parametrize(("args", "message"), [
    (["--flags", "history_cache,nope"], r"unknown ['nope']"),
    (["--runs", "3", "--min-runs", "5"], "--runs 3 is below --min-runs 5"),
    (["--confidence", "1.5"], "PerformanceThreshold.confidence must be a finite number"),
    (["--trials", "40"], "n_trials must be 1..16"),
])
def test_bad_arguments_exit_2_with_one_line(root: Path, tmp_path: Path, args: list[str],
                                            message: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "evaluate", "-o", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("rustybt bench evaluate: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
