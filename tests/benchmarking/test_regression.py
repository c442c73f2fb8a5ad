"""The regression gate's rule: paired CPU-time speedups against a recorded baseline file."""

from __future__ import annotations

import json

import pytest

from rustybt.benchmarking.regression import (
    TOLERANCE,
    GateBaseline,
    evaluate,
    measure_pairs,
    median_speedup,
)
from rustybt.errors import InvalidBenchmarkRecord


def _baseline(**ratios: float) -> GateBaseline:
    return GateBaseline(ratios, "benchmarks/gate.py --record", "2026-01-01T00:00:00+00:00", 31,
                        {"python": "3.12"})


def test_ten_percent_rule_at_its_edges():
    base = _baseline(cache=10.0)
    assert TOLERANCE == 0.10
    assert evaluate("cache", 9.01, base).passed  # 9.9 % below
    assert evaluate("cache", 9.0, base).passed  # exactly 10 % below: not more than 10 %
    failed = evaluate("cache", 8.99, base)
    assert not failed.passed
    assert failed.floor == pytest.approx(9.0)
    assert failed.change == pytest.approx(-0.101)
    line = failed.line()
    assert "8.99x now" in line and "10.00x recorded" in line and "FAIL" in line
    assert evaluate("cache", 12.0, base).line().endswith("ok")


def test_an_unrecorded_check_is_an_error_naming_the_file_and_the_command(tmp_path):
    with pytest.raises(InvalidBenchmarkRecord, match=r"gate\.json.*'history'.*--record"):
        evaluate("history", 3.0, _baseline(cache=2.0), source=tmp_path / "gate.json")
    with pytest.raises(ValueError, match="tolerance"):
        evaluate("cache", 3.0, _baseline(cache=2.0), tolerance=1.0)


def test_baseline_file_round_trip_and_checked_reading(tmp_path):
    path = tmp_path / "gate.json"
    base = _baseline(cache=9.25, arrays=3.4)
    base.save(path)
    assert GateBaseline.load(path) == base
    data = json.loads(path.read_text())
    data["ratios"]["cache"] = "fast"
    path.write_text(json.dumps(data))
    with pytest.raises(InvalidBenchmarkRecord, match=r"gate\.json.*'cache'.*a number"):
        GateBaseline.load(path)
    data["ratios"]["cache"] = -1.0
    path.write_text(json.dumps(data))
    with pytest.raises(InvalidBenchmarkRecord, match=r"gate\.json.*ratios\['cache'\]"):
        GateBaseline.load(path)
    with pytest.raises(InvalidBenchmarkRecord, match=r"missing\.json: no gate baseline.*--record"):
        GateBaseline.load(tmp_path / "missing.json")
    with pytest.raises(InvalidBenchmarkRecord, match="at least one check"):
        _baseline()


def test_median_speedup_is_the_median_of_pair_ratios():
    assert median_speedup((4.0, 9.0, 2.0), (2.0, 3.0, 2.0)) == 2.0
    with pytest.raises(ValueError, match="pairs"):
        median_speedup((1.0,), ())
    with pytest.raises(ValueError, match="> 0"):
        median_speedup((1.0,), (0.0,))


def test_pairs_alternate_their_order_and_warm_up_first():
    calls: list[str] = []

    def side(name: str):
        def run() -> None:
            calls.append(name)
            sum(range(2000))
        return run

    times = measure_pairs(side("a"), side("b"), pairs=4, warmup=1)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b", "b", "a"]
    assert len(times.baseline_cpu) == len(times.optimized_wall) == 4
    assert all(t >= 0 for t in times.baseline_wall + times.optimized_wall)
    with pytest.raises(ValueError, match="pairs"):
        measure_pairs(side("a"), side("b"), pairs=0)

