"""The benchmark framework: records, statistics and an interleaved runner.

It measures what the other layers built and decides whether an optimization is kept: a
candidate is accepted only when it is at least ``min_improvement`` faster than its baseline
with statistical confidence and uses at most ``max_memory_increase`` more memory
(:func:`decide`). It sits on top of :mod:`rustybt.optimization` and the engine; only the CLI
(``rustybt bench``) imports it.

- :mod:`~rustybt.benchmarking.models`: threshold, run, result set (JSON round trip);
- :mod:`~rustybt.benchmarking.components`: component, baseline, alternative, report;
- :mod:`~rustybt.benchmarking.statistics`: Welch/paired t, Mann–Whitney, ratio intervals,
  the decision rule, cumulative (multiplicative) improvement;
- :mod:`~rustybt.benchmarking.runner`: interleaved A B runs, in process or in fresh ones;
- :mod:`~rustybt.benchmarking.docfigures`: generated figures written into docs between markers;
- :mod:`~rustybt.benchmarking.equivalence`: the functional-equivalence check (first difference);
- :mod:`~rustybt.benchmarking.sequential`: optimizations turned on one at a time, each kept
  only when equivalent and faster by the threshold; stops at a goal or two rejections in a row;
- :mod:`~rustybt.benchmarking.decisions`: one decision record per optimization (JSON and
  Markdown, ``docs/internal/benchmarks/decisions/``);
- :mod:`~rustybt.benchmarking.workloads`: the built-in workload of ``rustybt bench evaluate``
  (the engine's dual-MA grid on a synthetic bundle).
- :mod:`~rustybt.benchmarking.reportmodel`: what a report shows (configurations, comparisons,
  the multiplicative waterfall), from a PerformanceReport or a folder of result sets;
- :mod:`~rustybt.benchmarking.report` and :mod:`~rustybt.benchmarking.charts`: its Markdown,
  JSON and PNG charts (``rustybt bench report``);
- :mod:`~rustybt.benchmarking.tables`: the benchmark scripts' shared output (tables on the
  console, in Markdown, JSON and docs; ``--json``/``--markdown``/``--update-doc``).
"""

from rustybt.benchmarking.charts import speedup_waterfall, time_per_configuration
from rustybt.benchmarking.components import (
    ALTERNATIVE_STATUSES,
    COMPONENT_STATUSES,
    AlternativeSolution,
    BaselineImplementation,
    OptimizationComponent,
    PerformanceReport,
)
from rustybt.benchmarking.decisions import (
    DEFAULT_DECISIONS_DIR,
    STEP_STATUSES,
    DecisionRecord,
    render_decision,
    write_decisions,
)
from rustybt.benchmarking.docfigures import read_between_markers, update_between_markers
from rustybt.benchmarking.equivalence import (
    EquivalenceCheck,
    describe_tolerance,
    first_difference,
)
from rustybt.benchmarking.models import (
    DATASET_SIZES,
    BenchmarkResult,
    BenchmarkResultSet,
    PerformanceThreshold,
)
from rustybt.benchmarking.report import (
    CHART_FILES,
    ReportFiles,
    report_dict,
    report_markdown,
    write_report,
)
from rustybt.benchmarking.reportmodel import (
    BenchmarkReport,
    Comparison,
    Configuration,
    WaterfallStep,
    format_seconds,
    from_performance_report,
    from_result_sets,
    load_report_input,
)
from rustybt.benchmarking.runner import InterleavedRuns, environment, measure, run_interleaved
from rustybt.benchmarking.sequential import (
    FLAG_CATEGORIES,
    Measure,
    SequentialEvaluation,
    evaluate_sequence,
    resolve_optimizations,
)
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
from rustybt.benchmarking.tables import Column, ScriptReport, Table, add_output_flags, emit
from rustybt.benchmarking.workloads import DmaGrid, make_dma_grid

__all__ = [
    "ALTERNATIVE_STATUSES",
    "CHART_FILES",
    "COMPONENT_STATUSES",
    "DATASET_SIZES",
    "DEFAULT_DECISIONS_DIR",
    "FLAG_CATEGORIES",
    "STEP_STATUSES",
    "AlternativeSolution",
    "BaselineImplementation",
    "BenchmarkReport",
    "BenchmarkResult",
    "BenchmarkResultSet",
    "Column",
    "Comparison",
    "Configuration",
    "Decision",
    "DecisionRecord",
    "DmaGrid",
    "EquivalenceCheck",
    "InterleavedRuns",
    "Measure",
    "OptimizationComponent",
    "PerformanceReport",
    "PerformanceThreshold",
    "RatioInterval",
    "ReportFiles",
    "ScriptReport",
    "SequentialEvaluation",
    "Table",
    "TestResult",
    "WaterfallStep",
    "add_output_flags",
    "bootstrap_ratio_ci",
    "cumulative_improvement",
    "cumulative_time_ratio",
    "decide",
    "describe_tolerance",
    "emit",
    "environment",
    "evaluate_sequence",
    "first_difference",
    "format_seconds",
    "from_performance_report",
    "from_result_sets",
    "load_report_input",
    "log_ratio_ci",
    "make_dma_grid",
    "mann_whitney",
    "measure",
    "paired_t_test",
    "read_between_markers",
    "render_decision",
    "report_dict",
    "report_markdown",
    "resolve_optimizations",
    "run_interleaved",
    "speedup_waterfall",
    "time_per_configuration",
    "update_between_markers",
    "welch_t_test",
    "write_decisions",
    "write_report",
]
