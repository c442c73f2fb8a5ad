"""The interleaved runner: structure, A/B order, seeding, failures, fresh processes.

No timed assertions: only counts, order, positivity and process ids.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from _callables import DRAWS, busy_large, busy_small, draw, fails

from rustybt.benchmarking import BenchmarkResult, measure, run_interleaved, runner
from rustybt.errors import BenchmarkNotPicklable, BenchmarkRunFailed


def test_interleaved_runs_have_the_right_shape() -> None:
    out = run_interleaved(busy_small, busy_large, runs=3, warmup=1, seed=11, workload_size=5)
    assert out.order == ("baseline", "candidate") * 3
    assert (out.baseline.name, out.candidate.name) == ("baseline", "candidate")
    assert [r.index for r in out.baseline.runs] == [0, 2, 4]
    assert [r.index for r in out.candidate.runs] == [1, 3, 5]
    assert [(b.index, c.index) for b, c in out.pairs] == [(0, 1), (2, 3), (4, 5)]
    for run in out.baseline.runs + out.candidate.runs:
        assert run.pid == os.getpid()
        assert run.wall_time_s > 0 and run.cpu_time_s >= 0
        assert run.peak_memory_bytes > 0 and run.mean_memory_bytes > 0
        assert (run.seed, run.workload_size) == (11, 5)
        assert run.environment["python"]


def test_calls_alternate_a_b_after_the_warm_up() -> None:
    calls: list[str] = []
    run_interleaved(lambda: calls.append("A"), lambda: calls.append("B"), runs=4, warmup=2)
    assert calls == ["A", "B"] * 2 + ["A", "B"] * 4


def test_a_seed_makes_every_call_draw_the_same_numbers() -> None:
    DRAWS.clear()
    run_interleaved(draw, draw, runs=2, warmup=1, seed=7)
    assert len(DRAWS) == 6 and len(set(DRAWS)) == 1


def test_a_failing_call_names_side_and_run() -> None:
    with pytest.raises(BenchmarkRunFailed, match=r"candidate \('fast'\) warm-up call 0") as info:
        run_interleaved(busy_small, fails, runs=2, names=("slow", "fast"))
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="runs must be an int >= 1"):
        run_interleaved(busy_small, busy_small, runs=0)
    with pytest.raises(ValueError, match="warmup must be an int >= 0"):
        run_interleaved(busy_small, busy_small, warmup=-1)


def test_fresh_process_needs_picklable_callables() -> None:
    calls: list[int] = []
    with pytest.raises(BenchmarkNotPicklable, match="candidate callable"):
        run_interleaved(busy_small, lambda: calls.append(1), fresh_process=True)
    assert calls == []


def test_fresh_process_runs_each_call_in_its_own_process() -> None:
    out = run_interleaved(busy_small, busy_large, runs=1, warmup=0, fresh_process=True)
    pids = [r.pid for r in out.baseline.runs + out.candidate.runs]
    assert os.getpid() not in pids
    assert len(set(pids)) == 2
    assert out.order == ("baseline", "candidate")
    assert all(r.peak_memory_bytes > 0 for r in out.baseline.runs + out.candidate.runs)


def test_fresh_process_failure_is_reported_with_its_cause() -> None:
    with pytest.raises(BenchmarkRunFailed, match="in a spawned process") as info:
        run_interleaved(fails, busy_small, runs=1, warmup=0, fresh_process=True)
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_measure_takes_at_least_two_memory_samples() -> None:
    result = measure(busy_small, index=3)
    assert isinstance(result, BenchmarkResult)
    assert result.index == 3 and result.mean_memory_bytes > 0


def _allocate_256_mib() -> None:
    block = np.ones(256 * 2**20 // 8)  # touched: resident
    assert block[-1] == 1.0


@pytest.mark.skipif(not runner._reset_peak_rss(), reason="no /proc/self/clear_refs here")
def test_each_in_process_run_has_its_own_peak() -> None:
    # ru_maxrss never falls: a small run measured after a big one would report the big peak
    big = measure(_allocate_256_mib)
    small = measure(busy_small)
    assert big.peak_memory_bytes - small.peak_memory_bytes > 200 * 2**20
    assert small.peak_memory_bytes >= small.mean_memory_bytes * 0.5
