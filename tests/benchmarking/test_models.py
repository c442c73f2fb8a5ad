"""The benchmark records: JSON round trips (Hypothesis), checked reading, result-set statistics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from rustybt.benchmarking import (
    ALTERNATIVE_STATUSES,
    COMPONENT_STATUSES,
    DATASET_SIZES,
    AlternativeSolution,
    BaselineImplementation,
    BenchmarkResult,
    BenchmarkResultSet,
    OptimizationComponent,
    PerformanceReport,
    PerformanceThreshold,
)
from rustybt.errors import InsufficientRuns, InvalidBenchmarkRecord
from rustybt.optimization.config import FLAGS

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                max_size=8).filter(str.strip)
texts = st.text(max_size=12)
seconds = st.floats(0, 1e4, allow_nan=False, allow_infinity=False)
env = st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3)

thresholds = st.builds(
    PerformanceThreshold,
    min_improvement=st.floats(0.001, 1), confidence=st.floats(0.5, 0.999),
    min_runs=st.integers(2, 50), max_memory_increase=st.floats(0, 1),
    workflow_type=names, dataset_size=st.sampled_from(DATASET_SIZES))
results = st.builds(
    BenchmarkResult, wall_time_s=seconds, cpu_time_s=seconds,
    peak_memory_bytes=st.integers(0, 2**40), mean_memory_bytes=st.integers(0, 2**40),
    workload_size=st.integers(1, 10**6), environment=env,
    seed=st.none() | st.integers(-(2**63), 2**63), index=st.integers(0, 1000),
    pid=st.none() | st.integers(1, 2**22))
result_sets = st.builds(BenchmarkResultSet, name=names,
                        runs=st.lists(results, min_size=1, max_size=4).map(tuple))
components = st.builds(
    OptimizationComponent, name=names, flag=st.none() | st.sampled_from(FLAGS), category=names,
    status=st.sampled_from(COMPONENT_STATUSES), baseline=st.none() | result_sets,
    optimized=st.none() | result_sets, reasons=st.lists(texts, max_size=3))
baselines = st.builds(
    BaselineImplementation, name=names, description=texts,
    flags=st.dictionaries(st.sampled_from(FLAGS), st.booleans()),
    git_commit=st.none() | st.text("0123456789abcdef", min_size=7, max_size=40),
    results=st.none() | result_sets)
alternatives = st.builds(
    AlternativeSolution, name=names, description=texts, component=names,
    status=st.sampled_from(ALTERNATIVE_STATUSES), rationale=texts,
    estimated_speedup=st.none() | st.floats(0.01, 100))
reports = st.builds(
    PerformanceReport, title=names,
    created_at=st.datetimes().map(lambda d: d.isoformat()), threshold=thresholds,
    baseline=baselines, components=st.lists(components, max_size=2).map(tuple),
    alternatives=st.lists(alternatives, max_size=2).map(tuple), environment=env)


@settings(max_examples=25, deadline=None)
@given(st.one_of(thresholds, results, result_sets, components, baselines, alternatives, reports))
def test_every_model_round_trips_through_json(record: object) -> None:
    text = record.to_json()  # type: ignore[attr-defined]
    assert type(record).from_json(text) == record  # type: ignore[attr-defined]
    assert json.loads(text)["kind"] == type(record).__name__


def _set(times: list[float], name: str = "s") -> BenchmarkResultSet:
    return BenchmarkResultSet(name, tuple(BenchmarkResult(t, t, 100, 100, index=i)
                                          for i, t in enumerate(times)))


def test_result_set_statistics_match_numpy_and_scipy() -> None:
    times = [1.0, 1.2, 0.9, 1.1, 1.05]
    rs = _set(times)
    assert rs.mean == pytest.approx(np.mean(times))
    assert rs.median == pytest.approx(1.05)
    assert rs.std == pytest.approx(np.std(times, ddof=1))
    expected = stats.t.interval(0.95, len(times) - 1, loc=np.mean(times),
                                scale=stats.sem(times))
    assert rs.ci95 == pytest.approx(expected)


def test_one_run_has_no_spread() -> None:
    rs = _set([1.0], "lonely")
    with pytest.raises(InsufficientRuns, match="'lonely' has 1 run"):
        rs.std  # noqa: B018
    assert BenchmarkResultSet.from_json(rs.to_json()) == rs  # std/CI stored as null


def test_reading_names_record_field_and_value() -> None:
    data = json.loads(_set([1.0, 2.0]).to_json())
    data["runs"][1]["wall_time_s"] = "fast"
    with pytest.raises(InvalidBenchmarkRecord, match=r"runs\[1\].*'wall_time_s'.*'fast'"):
        BenchmarkResultSet.from_json(json.dumps(data))
    del data["runs"][1]["wall_time_s"]
    with pytest.raises(InvalidBenchmarkRecord, match="'wall_time_s' is missing"):
        BenchmarkResultSet.from_json(json.dumps(data))


def test_a_summary_that_does_not_match_its_runs_is_refused() -> None:
    data = json.loads(_set([1.0, 2.0]).to_json())
    data["runs"][0]["wall_time_s"] = 0.5  # edited run, stale summary
    with pytest.raises(InvalidBenchmarkRecord, match="does not match its runs"):
        BenchmarkResultSet.from_json(json.dumps(data))


def test_wrong_kind_nan_and_garbage_are_refused() -> None:
    with pytest.raises(InvalidBenchmarkRecord, match="holds a 'PerformanceThreshold' record"):
        BenchmarkResult.from_json(PerformanceThreshold().to_json())
    text = BenchmarkResult(1.0, 1.0, 1, 1).to_json().replace('"wall_time_s": 1.0',
                                                            '"wall_time_s": NaN')
    with pytest.raises(InvalidBenchmarkRecord, match="NaN"):
        BenchmarkResult.from_json(text)
    with pytest.raises(InvalidBenchmarkRecord, match="not a JSON record"):
        PerformanceThreshold.from_json("{")
    with pytest.raises(InvalidBenchmarkRecord, match=r"wall_time_s must be a finite.*nan"):
        BenchmarkResult(float("nan"), 1.0, 1, 1)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"min_improvement": 0}, "min_improvement"),
    ({"confidence": 1.0}, "confidence must be < 1"),
    ({"min_runs": 1}, "min_runs must be an int >= 2"),
    ({"max_memory_increase": -0.1}, "max_memory_increase"),
    ({"dataset_size": "huge"}, "dataset_size must be one of"),
])
def test_threshold_rejects_values_it_cannot_take(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidBenchmarkRecord, match=match):
        PerformanceThreshold(**kwargs)  # type: ignore[arg-type]


def test_threshold_defaults_are_the_prds() -> None:
    th = PerformanceThreshold()
    assert (th.min_improvement, th.confidence, th.min_runs, th.max_memory_increase) == (
        0.05, 0.95, 10, 0.02)
    assert th.alpha == pytest.approx(0.05)


def test_components_name_known_flags_only() -> None:
    with pytest.raises(InvalidBenchmarkRecord, match=r"\['turbo'\] are not OptimizationConfig"):
        OptimizationComponent("turbo", "turbo", "caching")
    with pytest.raises(InvalidBenchmarkRecord, match="status must be one of"):
        OptimizationComponent("cache", "history_cache", "caching", status="maybe")
    with pytest.raises(InvalidBenchmarkRecord, match=r"\['nope'\]"):
        BaselineImplementation("all_off", "", {"nope": False})
    with pytest.raises(InvalidBenchmarkRecord, match="created_at must be an ISO 8601"):
        PerformanceReport("r", "yesterday", PerformanceThreshold(),
                          BaselineImplementation("all_off", ""))
