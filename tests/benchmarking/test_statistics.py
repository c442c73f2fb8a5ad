"""The statistics against scipy and known cases, and the accept/reject rule on synthetic runs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from rustybt.benchmarking import (
    BenchmarkResult,
    BenchmarkResultSet,
    PerformanceThreshold,
    bootstrap_ratio_ci,
    cumulative_improvement,
    cumulative_time_ratio,
    decide,
    log_ratio_ci,
    mann_whitney,
    paired_t_test,
    welch_t_test,
)
from rustybt.errors import InsufficientRuns, InvalidBenchmarkRecord

# Known samples (wall times in seconds).
A = np.array([1.02, 0.98, 1.05, 1.01, 0.97, 1.03, 1.00, 0.99, 1.04, 1.02])
B = np.array([0.91, 0.88, 0.93, 0.90, 0.87, 0.92, 0.89, 0.90, 0.94, 0.89])


def _set(times: np.ndarray, name: str, peak: int = 1000) -> BenchmarkResultSet:
    return BenchmarkResultSet(name, tuple(BenchmarkResult(float(t), float(t), peak, peak, index=i)
                                          for i, t in enumerate(times)))


def _noisy(ratio: float, n: int = 12, noise: float = 0.02, seed: int = 1) -> tuple[
        BenchmarkResultSet, BenchmarkResultSet]:
    rng = np.random.default_rng(seed)
    base = 1.0 + noise * rng.standard_normal(n)
    cand = ratio * (1.0 + noise * rng.standard_normal(n))
    return _set(base, "baseline"), _set(cand, "candidate")


def test_welch_statistic_matches_the_textbook_formula_and_scipy() -> None:
    se = math.sqrt(A.var(ddof=1) / A.size + B.var(ddof=1) / B.size)
    res = welch_t_test(A, B)
    assert res.statistic == pytest.approx((A.mean() - B.mean()) / se)
    ref = stats.ttest_ind(A, B, equal_var=False, alternative="greater")
    assert (res.statistic, res.p_value) == pytest.approx((ref.statistic, ref.pvalue))


def test_paired_and_mann_whitney_match_scipy() -> None:
    ref = stats.ttest_rel(A, B, alternative="greater")
    assert paired_t_test(A, B).p_value == pytest.approx(ref.pvalue)
    ref = stats.mannwhitneyu(A, B, alternative="greater")
    assert (mann_whitney(A, B).statistic, mann_whitney(A, B).p_value) == pytest.approx(
        (ref.statistic, ref.pvalue))
    # small, no ties, every b below every a: U = n*m, exact one-sided p = 1 / C(14, 7)
    a, b = 1.0 + 0.01 * np.arange(7), 0.8 + 0.01 * np.arange(7)
    mw = mann_whitney(a, b)
    assert mw.statistic == 49
    assert mw.p_value == pytest.approx(1 / math.comb(14, 7))


def test_log_ratio_intervals_match_scipys_intervals_of_the_log_difference() -> None:
    paired = log_ratio_ci(A, B, paired=True)
    ref = stats.ttest_rel(np.log(B), np.log(A)).confidence_interval(0.95)
    assert (paired.low, paired.high) == pytest.approx((math.exp(ref.low), math.exp(ref.high)))
    assert paired.ratio == pytest.approx(math.exp(np.mean(np.log(B) - np.log(A))))
    welch = log_ratio_ci(A, B)
    ref = stats.ttest_ind(np.log(B), np.log(A), equal_var=False).confidence_interval(0.95)
    assert (welch.low, welch.high) == pytest.approx((math.exp(ref.low), math.exp(ref.high)))
    assert welch.speedup_ci == pytest.approx((1 / welch.high, 1 / welch.low))


def test_bootstrap_is_seeded_and_brackets_the_ratio_of_means() -> None:
    one = bootstrap_ratio_ci(A, B, seed=3, resamples=2000)
    assert one == bootstrap_ratio_ci(A, B, seed=3, resamples=2000)
    assert one != bootstrap_ratio_ci(A, B, seed=4, resamples=2000)
    assert one.ratio == pytest.approx(B.mean() / A.mean())
    assert one.low < one.ratio < one.high
    paired = bootstrap_ratio_ci(A, B, paired=True, seed=3, resamples=2000)
    assert paired.low < paired.ratio < paired.high < 0.95


@pytest.mark.parametrize("paired", [False, True])
def test_a_12_percent_improvement_is_accepted(paired: bool) -> None:
    base, cand = _noisy(0.88)
    decision = decide(base, cand, PerformanceThreshold(), paired=paired)
    assert decision.accepted, decision.reasons
    assert 0.05 < decision.interval.improvement < 0.2
    assert decision.t_test.p_value < 0.05 and decision.mann_whitney.p_value < 0.05


def test_a_3_percent_improvement_is_rejected_for_its_size() -> None:
    base, cand = _noisy(0.97)
    decision = decide(base, cand)
    assert not decision.accepted
    assert "< the required 5.00%" in decision.reasons[0]


def test_equal_distributions_are_rejected() -> None:
    base, cand = _noisy(1.0, seed=5)
    decision = decide(base, cand)
    assert not decision.accepted
    assert decision.t_test.p_value > 0.05


def test_a_fast_candidate_that_uses_more_memory_is_rejected() -> None:
    base, cand = _noisy(0.8)
    cand = _set(cand.wall_times, "candidate", peak=1050)
    decision = decide(base, cand)
    assert not decision.accepted
    assert decision.memory_increase == pytest.approx(0.05)
    assert decision.reasons[0].startswith("mean peak RSS change +5.00% > the allowed")


def test_strict_asks_the_interval_to_clear_the_threshold() -> None:
    base, cand = _noisy(0.93, n=10, noise=0.03, seed=2)
    loose = decide(base, cand)
    assert loose.accepted, loose.reasons
    assert 1 - loose.interval.high < 0.05
    strict = decide(base, cand, strict=True)
    assert not strict.accepted
    assert strict.reasons[0].startswith("strict:")


def test_too_few_runs_raise_instead_of_deciding() -> None:
    base, cand = _noisy(0.8, n=9)
    with pytest.raises(InsufficientRuns, match=r"'baseline' has 9 run.*at least 10"):
        decide(base, cand)
    with pytest.raises(InvalidBenchmarkRecord, match="as many candidate runs"):
        paired_t_test(A, B[:-1])
    with pytest.raises(InvalidBenchmarkRecord, match=r"run 1 has time 0\.0"):
        welch_t_test([1.0, 0.0], [1.0, 2.0])


def test_cumulative_improvement_multiplies_time_ratios() -> None:
    assert cumulative_time_ratio([0.9, 0.9]) == pytest.approx(0.81)
    assert cumulative_improvement([0.9, 0.9]) == pytest.approx(0.19)  # not 0.20
    assert cumulative_improvement([0.5, 0.5, 0.5]) == pytest.approx(0.875)  # not 1.5
    assert cumulative_time_ratio([]) == 1.0
    with pytest.raises(InvalidBenchmarkRecord, match=r"time ratio 1 is -0\.5"):
        cumulative_time_ratio([0.9, -0.5])
