"""The benchmark framework: records, statistics and an interleaved runner.

It measures what the other layers built and decides whether an optimization is kept: a
candidate is accepted only when it is at least ``min_improvement`` faster than its baseline
with statistical confidence and uses at most ``max_memory_increase`` more memory
(:func:`decide`). It sits on top of :mod:`rustybt.optimization` and the engine; below the CLI
(``rustybt profile``) nothing in rustybt imports it.

- :mod:`~rustybt.benchmarking.models`: threshold, run, result set (JSON round trip);
- :mod:`~rustybt.benchmarking.components`: component, baseline, alternative, report;
- :mod:`~rustybt.benchmarking.statistics`: Welch/paired t, Mann–Whitney, ratio intervals,
  the decision rule, cumulative (multiplicative) improvement;
- :mod:`~rustybt.benchmarking.runner`: interleaved A B runs, in process or in fresh ones;
- :mod:`~rustybt.benchmarking.docfigures`: generated figures written into docs between markers;
- :mod:`~rustybt.benchmarking.profiling`: cProfile tables, flame graph, memory profile of a call
  or a backtest (``rustybt profile``), with :mod:`~rustybt.benchmarking.flamegraph` (call tree
  and SVG from ``pstats``), :mod:`~rustybt.benchmarking.memprofile` (tracemalloc) and
  :mod:`~rustybt.benchmarking.profilereport` (the tables).
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
from rustybt.benchmarking.flamegraph import FlameNode, call_tree, render_svg, write_flamegraph
from rustybt.benchmarking.memprofile import AllocationSite, MemoryProfile, trace_memory
from rustybt.benchmarking.models import (
    DATASET_SIZES,
    BenchmarkResult,
    BenchmarkResultSet,
    PerformanceThreshold,
)
from rustybt.benchmarking.profilereport import (
    FunctionStats,
    ProfileReport,
    top_functions,
    total_time,
)
from rustybt.benchmarking.profiling import (
    PY_SPY_FORMATS,
    SAMPLERS,
    profile_backtest,
    profile_call,
    py_spy_executable,
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
    "PY_SPY_FORMATS",
    "SAMPLERS",
    "AllocationSite",
    "AlternativeSolution",
    "BaselineImplementation",
    "BenchmarkResult",
    "BenchmarkResultSet",
    "Decision",
    "FlameNode",
    "FunctionStats",
    "InterleavedRuns",
    "MemoryProfile",
    "OptimizationComponent",
    "PerformanceReport",
    "PerformanceThreshold",
    "ProfileReport",
    "RatioInterval",
    "TestResult",
    "bootstrap_ratio_ci",
    "call_tree",
    "cumulative_improvement",
    "cumulative_time_ratio",
    "decide",
    "environment",
    "log_ratio_ci",
    "mann_whitney",
    "measure",
    "paired_t_test",
    "profile_backtest",
    "profile_call",
    "py_spy_executable",
    "read_between_markers",
    "render_svg",
    "run_interleaved",
    "top_functions",
    "total_time",
    "trace_memory",
    "update_between_markers",
    "welch_t_test",
    "write_flamegraph",
]
