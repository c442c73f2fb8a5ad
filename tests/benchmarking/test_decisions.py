"""Decision records: Markdown a reviewer reads, JSON that round-trips and refuses edits, stable
file names, stale files removed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from seq_support import FakeMeasure, VirtualClock, workload

from rustybt.benchmarking import (
    DecisionRecord,
    SequentialEvaluation,
    evaluate_sequence,
    render_decision,
    write_decisions,
)
from rustybt.errors import InvalidBenchmarkRecord

COMMAND = "rustybt bench evaluate --flags asset_caching,history_cache --seed 0"


@pytest.fixture(scope="module")
def evaluation() -> SequentialEvaluation:
    """asset_caching accepted (12 %), history_cache non-equivalent, pre_grouping 2 % rejected:
    two rejections in a row, the rest not evaluated."""
    clock = VirtualClock()
    return evaluate_sequence(
        workload(clock, {"asset_caching": 0.88, "pre_grouping": 0.98, "history_cache": 0.5},
                 wrong=("history_cache",)),
        workload="synthetic grid", command=COMMAND, measure=FakeMeasure(clock),
        optimizations=["asset_caching", "history_cache", "pre_grouping", "array_returns"],
        extra_environment={"git_commit": "abc123"})


def test_accepted_record_renders_everything_a_reviewer_needs(
        evaluation: SequentialEvaluation) -> None:
    step = evaluation.steps[0]
    md = render_decision(step)
    d = step.decision
    low, high = d.interval.speedup_ci
    assert md.startswith("# 01 · `asset_caching`: accepted\n")
    assert f"```text\n{COMMAND}\n```" in md
    assert "- Baseline: the flags accepted before this step: none (every flag off)" in md
    assert "- Candidate: the baseline with `asset_caching` on" in md
    assert "exact comparison: **equivalent**" in md
    assert "| runs | 10 | 10 |" in md
    assert f"| mean wall time (s) | {step.baseline.mean:.4f} | {step.candidate.mean:.4f} |" in md  # type: ignore[union-attr]
    assert f"**Speedup {d.interval.speedup:.3f}×** (95% CI {low:.3f}× – {high:.3f}×)" in md
    assert f"one-sided p = {d.t_test.p_value:.3g}" in md
    assert f"Mann-Whitney U: U = {d.mann_whitney.statistic:g}, one-sided p = " in md
    assert "- Memory: mean peak RSS +0.00% (candidate vs baseline)" in md
    assert "**accepted**; decided by: the threshold (every rule held)" in md
    assert "| git_commit | abc123 |" in md
    # the only fences are text fences: the docs snippet test never runs a benchmark
    assert set(re.findall(r"^```(\w*)$", md, re.M)) == {"text", ""}


def test_rejected_and_not_evaluated_records_say_why(evaluation: SequentialEvaluation) -> None:
    wrong, small, skipped = (render_decision(s) for s in evaluation.steps[1:])
    assert "**not equivalent**" in wrong and "First difference:" in wrong
    assert "result['trials'][1]['sharpe']: baseline -0.5 != candidate -0.5000000001" in wrong
    assert "Not measured: the results differ." in wrong
    assert "- Baseline: the flags accepted before this step: `asset_caching`" in small
    assert "decided by: the threshold: improvement" in small
    assert "Not checked: the optimization was not evaluated." in skipped
    assert ("decided by: the stop rule: 2 consecutive rejections (history_cache, "
            "pre_grouping)") in skipped


def test_records_round_trip_and_files_are_stable(evaluation: SequentialEvaluation,
                                                 tmp_path: Path) -> None:
    (tmp_path / "07-bundle_pooling.md").write_text("stale")
    (tmp_path / "notes.md").write_text("kept")
    written = write_decisions(evaluation, tmp_path)
    assert [p.name for p in written] == [
        "01-asset_caching.json", "01-asset_caching.md", "02-history_cache.json",
        "02-history_cache.md", "03-pre_grouping.json", "03-pre_grouping.md",
        "04-array_returns.json", "04-array_returns.md", "sequence.json", "README.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [p.name for p in written] + ["notes.md"])
    for step in evaluation.steps:
        text = (tmp_path / f"{step.file_stem}.json").read_text()
        assert DecisionRecord.from_json(text) == step
        assert (tmp_path / f"{step.file_stem}.md").read_text() == render_decision(step)
    seq = SequentialEvaluation.from_json((tmp_path / "sequence.json").read_text())
    assert seq == evaluation
    index = (tmp_path / "README.md").read_text()
    assert "| 01 | [`asset_caching`](01-asset_caching.md) | accepted |" in index
    assert "Accepted: `asset_caching`; cumulative speedup" in index
    assert "Stopped: 2 consecutive rejections (history_cache, pre_grouping)." in index


def test_an_edited_record_is_refused(evaluation: SequentialEvaluation) -> None:
    data = json.loads(evaluation.steps[0].to_json())
    data["status"] = "rejected"
    with pytest.raises(InvalidBenchmarkRecord, match="disagrees with the decision its runs give"):
        DecisionRecord.from_json(json.dumps(data))
    data = json.loads(evaluation.steps[0].to_json())
    data["decision"]["time_ratio"] = 0.5
    with pytest.raises(InvalidBenchmarkRecord, match="the record was edited"):
        DecisionRecord.from_json(json.dumps(data))
    data = json.loads(evaluation.steps[1].to_json())  # non-equivalent: never measured
    data["baseline"] = data["candidate"] = json.loads(evaluation.steps[0].to_json())["baseline"]
    with pytest.raises(InvalidBenchmarkRecord, match="rejected and not measured"):
        DecisionRecord.from_json(json.dumps(data))
    data = json.loads(evaluation.steps[2].to_json())
    data["candidate_flags"]["bundle_pooling"] = True
    with pytest.raises(InvalidBenchmarkRecord, match="must be the baseline's with"):
        DecisionRecord.from_json(json.dumps(data))
