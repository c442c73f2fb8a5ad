"""The benchmark framework: records, statistics and an interleaved runner.

It measures what the other layers built and decides whether an optimization is kept: a
candidate is accepted only when it is at least ``min_improvement`` faster than its baseline
with statistical confidence and uses at most ``max_memory_increase`` more memory
(:func:`decide`). It sits on top of :mod:`rustybt.optimization` and the engine; nothing in
rustybt imports it.

- :mod:`~rustybt.benchmarking.models`: threshold, run, result set (JSON round trip);
- :mod:`~rustybt.benchmarking.components`: component, baseline, alternative, report;
- :mod:`~rustybt.benchmarking.statistics`: Welch/paired t, Mann–Whitney, ratio intervals,
  the decision rule, cumulative (multiplicative) improvement;
- :mod:`~rustybt.benchmarking.runner`: interleaved A B runs, in process or in fresh ones;
- :mod:`~rustybt.benchmarking.docfigures`: generated figures written into docs between markers;
- :mod:`~rustybt.benchmarking.regression`: the CI regression gate's rule (speedups of
  interleaved pairs against a recorded baseline file; ``benchmarks/gate.py`` runs it).
"""

from rustybt.benchmarking.components import (
    ALTERNATIVE_STATUSES,
    COMPONENT_STATUSES,
    AlternativeSolution,
    BaselineImplementation,
    OptimizationComponent,
    PerformanceReport,
)
from rustybt.benchmarking.docfigures import read_between_markers, update_between_markers
from rustybt.benchmarking.models import (
    DATASET_SIZES,
    BenchmarkResult,
    BenchmarkResultSet,
    PerformanceThreshold,
)
from rustybt.benchmarking.runner import InterleavedRuns, environment, measure, run_interleaved
from rustybt.benchmarking.statistics import (
    Decision,
    RatioInterval,
    TestResult,
    bootstrap_ratio_ci,
    cumulative_improvement,
    cumulative_time_ratio,
    decide,
    log_ratio_ci,
    mann_whitney,
    paired_t_test,
    welch_t_test,
)

__all__ = [
    "ALTERNATIVE_STATUSES",
    "COMPONENT_STATUSES",
    "DATASET_SIZES",
    "AlternativeSolution",
    "BaselineImplementation",
    "BenchmarkResult",
    "BenchmarkResultSet",
    "Decision",
    "InterleavedRuns",
    "OptimizationComponent",
    "PerformanceReport",
    "PerformanceThreshold",
    "RatioInterval",
    "TestResult",
    "bootstrap_ratio_ci",
    "cumulative_improvement",
    "cumulative_time_ratio",
    "decide",
    "environment",
    "log_ratio_ci",
    "mann_whitney",
    "measure",
    "paired_t_test",
    "read_between_markers",
    "run_interleaved",
    "update_between_markers",
    "welch_t_test",
]
