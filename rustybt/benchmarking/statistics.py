"""Is a candidate faster than its baseline? Tests, ratio intervals and the accept/reject rule.

Design and invariants:
- Time ratio ``r = candidate / baseline`` (below 1 is faster); improvement ``1 - r``;
  speedup ``1 / r``. Every interval here is of the time ratio; ``RatioInterval.speedup_ci``
  inverts it.
- Tests and t intervals work on log wall times: an optimization scales time, so its effect is
  additive in logs and the interval of the log-ratio maps back to a ratio interval
  (``exp(d ± t·se)``; the point estimate is the ratio of geometric means). Paired
  (interleaved runs ``b_i, c_i``): ``d_i = log c_i - log b_i``, ``n - 1`` degrees of freedom.
  Unpaired: Welch's standard error and Welch–Satterthwaite degrees of freedom.
- The bootstrap interval is of the ratio of arithmetic means, percentile method, from a
  seeded ``numpy.random.Generator`` (same seed, same interval); paired sets resample pairs.
- Mann–Whitney U (candidate stochastically smaller) is the robustness check: it makes no
  normality assumption, and a decision needs both it and the t-test.
- :func:`decide`: accepted iff each side has ``threshold.min_runs`` runs (else
  :class:`~rustybt.errors.InsufficientRuns`), the improvement (``1 - r``) ≥
  ``threshold.min_improvement``, the one-sided t-test (paired or Welch) and Mann–Whitney have
  ``p < threshold.alpha``, and the mean peak RSS grew by at most
  ``threshold.max_memory_increase``. ``strict=True`` also asks the interval's upper bound to
  clear the threshold (we are confident the improvement is at least ``min_improvement``, not
  only that there is one). Every failed rule is a reason; accepted ones are reasons too.
- Cumulative improvement multiplies time ratios (:func:`cumulative_time_ratio`): two 10 %
  improvements are 19 %, never 20 %.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from rustybt.benchmarking.models import BenchmarkResultSet, PerformanceThreshold
from rustybt.errors import InsufficientRuns, InvalidBenchmarkRecord

__all__ = [
    "Decision",
    "RatioInterval",
    "TestResult",
    "bootstrap_ratio_ci",
    "cumulative_improvement",
    "cumulative_time_ratio",
    "decide",
    "log_ratio_ci",
    "mann_whitney",
    "paired_t_test",
    "welch_t_test",
]

Samples = Sequence[float] | np.ndarray | BenchmarkResultSet
Alternative = Literal["less", "greater", "two-sided"]


@dataclass(frozen=True)
class TestResult:
    """A test's statistic and p-value, and which test it was."""

    __test__ = False  # not a pytest class

    method: str
    statistic: float
    p_value: float
    alternative: str


@dataclass(frozen=True)
class RatioInterval:
    """A time ratio (candidate / baseline) and its confidence interval.

    Attributes:
        ratio: Point estimate of the time ratio.
        low: Lower bound.
        high: Upper bound.
        confidence: Confidence level of the interval.
        method: ``log-ratio t (paired)``, ``log-ratio t (Welch)`` or ``bootstrap ...``.
    """

    ratio: float
    low: float
    high: float
    confidence: float
    method: str

    @property
    def improvement(self) -> float:
        """Fractional reduction of time, ``1 - ratio``."""
        return 1.0 - self.ratio

    @property
    def speedup(self) -> float:
        """``1 / ratio`` (2.0: twice as fast)."""
        return 1.0 / self.ratio

    @property
    def speedup_ci(self) -> tuple[float, float]:
        """The interval of the speedup, ``(1 / high, 1 / low)``."""
        return 1.0 / self.high, 1.0 / self.low


@dataclass(frozen=True)
class Decision:
    """Whether a candidate is accepted against a baseline, and why.

    Attributes:
        accepted: True when every rule of the threshold held.
        reasons: One line per rule, failed rules first.
        interval: The time ratio and its interval (paired or Welch log-ratio t).
        t_test: The one-sided t-test (paired or Welch) on log wall times.
        mann_whitney: The one-sided Mann–Whitney U test on wall times.
        memory_increase: Fractional change of the mean peak RSS (candidate vs baseline).
        paired: Whether the runs were compared as interleaved pairs.
    """

    accepted: bool
    reasons: tuple[str, ...]
    interval: RatioInterval
    t_test: TestResult
    mann_whitney: TestResult
    memory_increase: float
    paired: bool


def _times(sample: Samples, what: str) -> np.ndarray:
    """Wall times as a float array; positive and finite, at least two."""
    name = sample.name if isinstance(sample, BenchmarkResultSet) else what
    values = sample.wall_times if isinstance(sample, BenchmarkResultSet) else np.asarray(
        sample, dtype=float)
    if values.ndim != 1 or values.size < 2:
        raise InsufficientRuns(f"{name}: {values.size} time(s); a test needs at least 2")
    bad = np.flatnonzero(~(np.isfinite(values) & (values > 0)))
    if bad.size:
        first = int(bad[0])
        raise InvalidBenchmarkRecord(f"{name}: run {first} has time {float(values[first])!r}; "
                                     "times must be finite and > 0")
    return values


def _pair(baseline: Samples, candidate: Samples) -> tuple[np.ndarray, np.ndarray]:
    b, c = _times(baseline, "baseline"), _times(candidate, "candidate")
    if b.size != c.size:
        raise InvalidBenchmarkRecord(f"paired comparison needs as many candidate runs as "
                                     f"baseline runs; got {b.size} baseline, {c.size} candidate")
    return b, c


def welch_t_test(baseline: Samples, candidate: Samples,
                 alternative: Alternative = "greater", *, log: bool = False) -> TestResult:
    """Welch's t-test of ``baseline`` vs ``candidate`` (scipy's ``ttest_ind``, unequal
    variances); ``alternative='greater'``: the baseline's mean is larger (candidate faster).
    ``log=True`` tests the log times."""
    b, c = _times(baseline, "baseline"), _times(candidate, "candidate")
    if log:
        b, c = np.log(b), np.log(c)
    res = stats.ttest_ind(b, c, equal_var=False, alternative=alternative)
    return TestResult("Welch t" + (" (log)" if log else ""), float(res.statistic),
                      float(res.pvalue), alternative)


def paired_t_test(baseline: Samples, candidate: Samples,
                  alternative: Alternative = "greater", *, log: bool = False) -> TestResult:
    """Paired t-test of run ``i`` of ``baseline`` against run ``i`` of ``candidate`` (scipy's
    ``ttest_rel``); ``alternative='greater'``: baseline runs are longer."""
    b, c = _pair(baseline, candidate)
    if log:
        b, c = np.log(b), np.log(c)
    res = stats.ttest_rel(b, c, alternative=alternative)
    return TestResult("paired t" + (" (log)" if log else ""), float(res.statistic),
                      float(res.pvalue), alternative)


def mann_whitney(baseline: Samples, candidate: Samples,
                 alternative: Alternative = "greater") -> TestResult:
    """Mann–Whitney U of ``baseline`` vs ``candidate`` (scipy's ``mannwhitneyu``);
    ``alternative='greater'``: baseline times are stochastically larger."""
    b, c = _times(baseline, "baseline"), _times(candidate, "candidate")
    res = stats.mannwhitneyu(b, c, alternative=alternative)
    return TestResult("Mann-Whitney U", float(res.statistic), float(res.pvalue), alternative)


def log_ratio_ci(baseline: Samples, candidate: Samples, confidence: float = 0.95, *,
                 paired: bool = False) -> RatioInterval:
    """The time ratio's t interval on the log scale (paired or Welch), mapped back by exp."""
    if paired:
        b, c = _pair(baseline, candidate)
        d = np.log(c) - np.log(b)
        est, se, df = float(d.mean()), float(d.std(ddof=1)) / math.sqrt(d.size), d.size - 1.0
        method = "log-ratio t (paired)"
    else:
        lb, lc = np.log(_times(baseline, "baseline")), np.log(_times(candidate, "candidate"))
        vb, vc = lb.var(ddof=1) / lb.size, lc.var(ddof=1) / lc.size
        est, se = float(lc.mean() - lb.mean()), math.sqrt(vb + vc)
        df = ((vb + vc) ** 2 / (vb**2 / (lb.size - 1) + vc**2 / (lc.size - 1))
              if vb + vc > 0 else float(lb.size + lc.size - 2))
        method = "log-ratio t (Welch)"
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return RatioInterval(math.exp(est), math.exp(est - half), math.exp(est + half),
                         confidence, method)


def bootstrap_ratio_ci(baseline: Samples, candidate: Samples, confidence: float = 0.95, *,
                       paired: bool = False, resamples: int = 10_000,
                       seed: int = 0) -> RatioInterval:
    """Percentile bootstrap interval of ``mean(candidate) / mean(baseline)``, seeded."""
    rng = np.random.default_rng(seed)
    if paired:
        b, c = _pair(baseline, candidate)
        idx = rng.integers(0, b.size, (resamples, b.size))
        ratios = c[idx].mean(axis=1) / b[idx].mean(axis=1)
    else:
        b, c = _times(baseline, "baseline"), _times(candidate, "candidate")
        ratios = (c[rng.integers(0, c.size, (resamples, c.size))].mean(axis=1)
                  / b[rng.integers(0, b.size, (resamples, b.size))].mean(axis=1))
    tail = (1 - confidence) / 2
    low, high = np.quantile(ratios, [tail, 1 - tail])
    kind = "paired" if paired else "unpaired"
    return RatioInterval(float(c.mean() / b.mean()), float(low), float(high), confidence,
                         f"bootstrap percentile ({kind}, {resamples} resamples, seed {seed})")


def decide(baseline: BenchmarkResultSet, candidate: BenchmarkResultSet,
           threshold: PerformanceThreshold | None = None, *, paired: bool = False,
           strict: bool = False) -> Decision:
    """Accept or reject ``candidate`` against ``baseline`` by ``threshold`` (module docstring).

    Raises:
        InsufficientRuns: A side has fewer than ``threshold.min_runs`` runs.
    """
    th = threshold if threshold is not None else PerformanceThreshold()
    for side in (baseline, candidate):
        if side.n < th.min_runs:
            raise InsufficientRuns(f"result set {side.name!r} has {side.n} run(s); the "
                                   f"threshold needs at least {th.min_runs} per side")
    test = (paired_t_test if paired else welch_t_test)(baseline, candidate, log=True)
    mw = mann_whitney(baseline, candidate)
    interval = log_ratio_ci(baseline, candidate, th.confidence, paired=paired)
    base_peak, cand_peak = baseline.peak_memory_mean, candidate.peak_memory_mean
    memory = (cand_peak / base_peak - 1.0 if base_peak > 0
              else (0.0 if cand_peak == 0 else math.inf))

    failed: list[str] = []
    passed: list[str] = []

    def rule(ok: bool, text: str) -> None:
        (passed if ok else failed).append(text)

    rule(interval.improvement >= th.min_improvement,
         f"improvement {interval.improvement:.2%} (time ratio {interval.ratio:.4f}, "
         f"{th.confidence:.0%} CI {interval.low:.4f}-{interval.high:.4f}) "
         f"{'≥' if interval.improvement >= th.min_improvement else '<'} "
         f"the required {th.min_improvement:.2%}")
    rule(test.p_value < th.alpha, f"{test.method} p = {test.p_value:.3g} "
         f"{'<' if test.p_value < th.alpha else '≥'} {th.alpha:.3g}")
    rule(mw.p_value < th.alpha, f"{mw.method} p = {mw.p_value:.3g} "
         f"{'<' if mw.p_value < th.alpha else '≥'} {th.alpha:.3g}")
    rule(memory <= th.max_memory_increase, f"mean peak RSS change {memory:+.2%} "
         f"{'≤' if memory <= th.max_memory_increase else '>'} the allowed "
         f"{th.max_memory_increase:+.2%}")
    if strict:
        bound = 1.0 - interval.high
        rule(bound >= th.min_improvement, f"strict: the CI's least improvement {bound:.2%} "
             f"{'≥' if bound >= th.min_improvement else '<'} {th.min_improvement:.2%}")
    return Decision(not failed, tuple(failed + passed), interval, test, mw, memory, paired)


def cumulative_time_ratio(ratios: Iterable[float]) -> float:
    """The total time ratio of optimizations applied one after another: the product."""
    total = 1.0
    for i, r in enumerate(ratios):
        if isinstance(r, bool) or not isinstance(r, int | float) or not (
                math.isfinite(r) and r > 0):
            raise InvalidBenchmarkRecord(f"time ratio {i} is {r!r}; ratios must be finite "
                                         "and > 0")
        total *= r
    return total


def cumulative_improvement(ratios: Iterable[float]) -> float:
    """``1 - cumulative_time_ratio(ratios)`` (two 10 % improvements: 19 %)."""
    return 1.0 - cumulative_time_ratio(ratios)
