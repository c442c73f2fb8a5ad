"""The sequential evaluation on synthetic workloads whose timings are injected (seq_support):
a 12 % improvement is accepted, a 3 % one rejected, a non-equivalent one rejected unmeasured
whatever its speed; two rejections in a row or the goal stop the sequence; cumulative
improvement multiplies; and one run through the real interleaved runner."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats
from seq_support import FakeMeasure, VirtualClock, workload

from rustybt.benchmarking import (
    PerformanceThreshold,
    SequentialEvaluation,
    evaluate_sequence,
    resolve_optimizations,
)
from rustybt.errors import BenchmarkRunFailed, InvalidBenchmarkRecord
from rustybt.optimization.config import FLAGS


def _evaluate(factors: dict[str, float], *, wrong: tuple[str, ...] = (),
              **kwargs: Any) -> tuple[SequentialEvaluation, FakeMeasure, list[dict[str, bool]]]:
    clock, calls = VirtualClock(), []
    measure = FakeMeasure(clock)
    ev = evaluate_sequence(workload(clock, factors, wrong, calls), workload="synthetic",
                           command="pytest tests/benchmarking/test_sequential.py",
                           measure=measure, **kwargs)
    return ev, measure, calls


def test_twelve_percent_is_accepted_three_percent_rejected() -> None:
    ev, measure, _ = _evaluate({"asset_caching": 0.88, "pre_grouping": 0.97},
                               optimizations=["asset_caching", "pre_grouping"])
    good, small = ev.steps
    assert (good.status, small.status) == ("accepted", "rejected")
    assert good.decision.interval.improvement == pytest.approx(0.12, abs=0.01)
    assert small.decision.interval.improvement == pytest.approx(0.03, abs=0.01)
    assert small.rule.startswith("the threshold: improvement") and "< the required 5.00%" \
        in small.rule
    # the second is measured on top of the first: its baseline has asset_caching on
    assert measure.calls == [("all_off", "all_off+asset_caching"),
                             ("all_off+asset_caching", "all_off+asset_caching+pre_grouping")]
    assert small.baseline_flags["asset_caching"] and not small.baseline_flags["pre_grouping"]
    assert good.baseline is not None and good.baseline.n == 10  # threshold.min_runs
    assert ev.accepted == ("asset_caching",)
    assert ev.cumulative_time_ratio == pytest.approx(good.decision.interval.ratio)
    assert ev.stop_reason is None  # one rejection only; every flag was evaluated


def test_p_values_and_interval_cross_checked_with_scipy() -> None:
    ev, _, _ = _evaluate({"asset_caching": 0.88}, optimizations=["asset_caching"])
    step = ev.steps[0]
    assert step.baseline is not None and step.candidate is not None
    b, c = step.baseline.wall_times, step.candidate.wall_times
    d = step.decision
    assert d.paired
    ref = stats.ttest_rel(np.log(b), np.log(c), alternative="greater")
    assert d.t_test.p_value == pytest.approx(ref.pvalue)
    assert d.mann_whitney.p_value == pytest.approx(
        stats.mannwhitneyu(b, c, alternative="greater").pvalue)
    diff = np.log(c) - np.log(b)
    half = stats.t.ppf(0.975, diff.size - 1) * stats.sem(diff)
    assert (d.interval.low, d.interval.high) == pytest.approx(
        (math.exp(diff.mean() - half), math.exp(diff.mean() + half)))


def test_non_equivalent_is_rejected_unmeasured_however_fast() -> None:
    ev, measure, _ = _evaluate({"history_cache": 0.2, "array_returns": 0.8},
                               wrong=("history_cache",),
                               optimizations=["history_cache", "array_returns"])
    fast_but_wrong, next_one = ev.steps
    assert fast_but_wrong.status == "rejected"
    assert fast_but_wrong.baseline is None and fast_but_wrong.candidate is None
    eq = fast_but_wrong.equivalence
    assert eq is not None and not eq.equivalent and eq.method == "exact"
    assert eq.difference == ("result['trials'][1]['sharpe']: baseline -0.5 != candidate "
                             "-0.5000000001")
    assert fast_but_wrong.rule.startswith("functional equivalence (blocking)")
    assert measure.calls == [("all_off", "all_off+array_returns")]  # never timed
    assert next_one.status == "accepted" and not next_one.baseline_flags["history_cache"]


def test_a_tolerance_admits_the_tiny_difference() -> None:
    ev, _, _ = _evaluate({"history_cache": 0.8}, wrong=("history_cache",),
                         optimizations=["history_cache"], rtol=1e-6)
    assert ev.steps[0].status == "accepted"
    assert ev.equivalence_method == "rtol=1e-06, atol=0"


def test_two_consecutive_rejections_stop_the_sequence() -> None:
    factors = {"asset_caching": 0.99, "pre_grouping": 1.02, "history_cache": 0.5}
    ev, measure, calls = _evaluate(factors)
    assert [s.status for s in ev.steps] == (
        ["rejected", "rejected"] + ["not_evaluated"] * (len(FLAGS) - 2))
    assert ev.stop_reason == "2 consecutive rejections (asset_caching, pre_grouping)"
    for step in ev.steps[2:]:
        assert step.rule == f"the stop rule: {ev.stop_reason}"
        assert step.equivalence is None and not step.measured
    assert len(measure.calls) == 2
    assert not any(c["history_cache"] for c in calls)  # the fast one is never run


def test_an_acceptance_resets_the_rejection_count() -> None:
    factors = {"asset_caching": 0.99, "pre_grouping": 0.8, "history_cache": 1.0,
               "array_returns": 1.0}
    ev, _, _ = _evaluate(factors, optimizations=list(FLAGS[:5]))
    assert [s.status for s in ev.steps] == ["rejected", "accepted", "rejected", "rejected",
                                            "not_evaluated"]


def test_reaching_the_goal_stops_and_improvement_multiplies() -> None:
    factors = {"asset_caching": 0.9, "pre_grouping": 0.9, "history_cache": 0.5}
    ev, _, _ = _evaluate(factors, goal_speedup=1.2)
    statuses = [s.status for s in ev.steps]
    assert statuses == ["accepted", "accepted"] + ["not_evaluated"] * (len(FLAGS) - 2)
    r1, r2 = (s.decision.interval.ratio for s in ev.steps[:2])
    assert ev.cumulative_time_ratio == pytest.approx(r1 * r2)
    assert ev.cumulative_improvement == pytest.approx(0.19, abs=0.01)  # not 20 %
    assert ev.steps[1].cumulative_time_ratio == pytest.approx(r1 * r2)
    assert ev.stop_reason is not None and ev.stop_reason.startswith("the goal was reached")
    assert "'pre_grouping'" in ev.stop_reason


def test_the_workload_failing_is_an_error_naming_the_configuration() -> None:
    def run(config: Any) -> object:
        if config.bundle_pooling:
            raise ZeroDivisionError("boom")
        return 1

    with pytest.raises(BenchmarkRunFailed, match=r"candidate 'bundle_pooling' "
                       r"\(all_off\+bundle_pooling\).*boom"):
        evaluate_sequence(run, workload="w", command="c", optimizations=["bundle_pooling"],
                          measure=FakeMeasure(VirtualClock()))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"optimizations": ["history_cache", "nope"]}, r"unknown \['nope'\]"),
    ({"optimizations": ["history_cache", "history_cache"]}, r"repeated \['history_cache'\]"),
    ({"optimizations": []}, "at least one"),
    ({"runs": 5}, r"min_runs \(10\)"),
    ({"goal_speedup": 1.0}, "goal_speedup must be > 1"),
    ({"rtol": -1.0}, "rtol must be a finite number >= 0"),
])
def test_bad_arguments_are_refused_before_running(kwargs: dict[str, Any], match: str) -> None:
    clock, calls = VirtualClock(), []
    with pytest.raises(ValueError, match=match):
        evaluate_sequence(workload(clock, {}, (), calls), workload="w", command="c", **kwargs)
    assert calls == []


def test_resolve_optimizations_defaults_to_the_declared_flags() -> None:
    assert resolve_optimizations() == FLAGS
    assert resolve_optimizations(["history_cache"]) == ("history_cache",)


def test_sequence_record_round_trips_and_refuses_inconsistency() -> None:
    ev, _, _ = _evaluate({"asset_caching": 0.85, "pre_grouping": 0.99, "history_cache": 1.0})
    assert SequentialEvaluation.from_json(ev.to_json()) == ev
    with pytest.raises(InvalidBenchmarkRecord, match="must be the optimizations"):
        SequentialEvaluation(ev.workload, ev.threshold, ev.optimizations, ev.steps[::-1],
                             None, 2, "exact", ev.stop_reason, "c", {}, ev.created_at)
    with pytest.raises(InvalidBenchmarkRecord, match="after a stop reason"):
        SequentialEvaluation(ev.workload, ev.threshold, ev.optimizations, ev.steps, None, 2,
                             "exact", None, "c", {}, ev.created_at)


def _busy(n: int) -> int:
    return sum(i * i for i in range(n))


class BusyWork:
    """Picklable ``run(config)``: a CPU loop, shorter with history_cache on; same result."""

    def __call__(self, config: Any) -> object:
        _busy(2_000 if config.history_cache else 8_000)
        return {"answer": 42}


def test_real_interleaved_runner_measures_each_side_min_runs_times() -> None:
    th = PerformanceThreshold(min_runs=2)
    ev = evaluate_sequence(BusyWork(), th, workload="busy loop", command="c",
                           optimizations=["history_cache"], warmup=0)
    first = ev.steps[0]
    assert first.equivalence is not None and first.equivalence.equivalent
    assert first.baseline is not None and first.candidate is not None
    assert (first.baseline.n, first.candidate.n) == (2, 2)
    assert [r.index for r in first.baseline.runs] == [0, 2]
    assert (first.baseline.name, first.candidate.name) == ("all_off", "all_off+history_cache")
    assert first.status in ("accepted", "rejected")  # no timed assertion: the records agree
    assert SequentialEvaluation.from_json(ev.to_json()) == ev


def test_a_failed_measurement_names_the_flag() -> None:
    def measure(*_args: object, **_kwargs: object) -> Any:
        raise BenchmarkRunFailed("candidate run 3 raised")

    clock = VirtualClock()
    with pytest.raises(BenchmarkRunFailed, match=r"measuring 'history_cache' \(all_off against "
                       r"all_off\+history_cache\): candidate run 3 raised"):
        evaluate_sequence(workload(clock, {}), workload="w", command="c", measure=measure,
                          optimizations=["history_cache"])


def test_base_limits_reach_every_configuration() -> None:
    from rustybt.optimization import OptimizationConfig

    seen: list[OptimizationConfig] = []
    clock = VirtualClock()
    inner = workload(clock, {"history_cache": 0.8})

    def run(config: OptimizationConfig) -> object:
        seen.append(config)
        return inner(config)

    evaluate_sequence(run, workload="w", command="c", optimizations=["history_cache"],
                      base=OptimizationConfig.all_on(lru_size=7), measure=FakeMeasure(clock))
    assert seen[0] == OptimizationConfig.all_off(lru_size=7)  # the reference: flags all off
    assert {c.lru_size for c in seen} == {7}
    assert seen[1] == OptimizationConfig.all_off(lru_size=7, history_cache=True)


def test_a_sequence_renders_as_a_report(tmp_path: Any) -> None:
    from rustybt.benchmarking.report import write_report
    from rustybt.benchmarking.reportmodel import load_report_input

    ev, _, _ = _evaluate({"asset_caching": 0.88, "pre_grouping": 1.0, "history_cache": 0.5,
                          "array_returns": 1.0},
                         optimizations=["asset_caching", "history_cache", "pre_grouping",
                                        "array_returns", "bundle_pooling"])
    assert [s.status for s in ev.steps] == ["accepted", "accepted", "rejected", "rejected",
                                            "not_evaluated"]
    report = ev.to_performance_report()
    assert [c.status for c in report.components] == ["accepted", "accepted", "rejected",
                                                     "rejected", "skipped"]
    assert report.baseline.results is ev.steps[0].baseline  # the all-off runs
    path = tmp_path / "sequence.json"
    path.write_text(ev.to_json())
    view = load_report_input(path)
    assert [c.label for c in view.configurations] == ["all_off", "asset_caching",
                                                     "history_cache", "pre_grouping",
                                                     "array_returns"]
    assert view.not_measured == (("bundle_pooling", "skipped"),)
    # the waterfall multiplies the accepted steps' ratios: the sequence's own cumulative figure
    chained = math.prod(c.interval.ratio for c in view.comparisons if c.in_chain)
    assert chained == pytest.approx(ev.cumulative_time_ratio, rel=1e-12)
    files = write_report(path, tmp_path / "out")
    assert "history_cache" in files.markdown.read_text()
    assert len(files.charts) == 2 and all(p.stat().st_size > 0 for p in files.charts)
