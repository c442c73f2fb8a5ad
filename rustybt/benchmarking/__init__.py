"""The benchmark framework: records, statistics and an interleaved runner.

It measures what the other layers built and decides whether an optimization is kept: a
candidate is accepted only when it is at least ``min_improvement`` faster than its baseline
with statistical confidence and uses at most ``max_memory_increase`` more memory
(:func:`decide`). It sits on top of :mod:`rustybt.optimization` and the engine; only the CLI
(``rustybt bench``, ``rustybt profile``) imports it.

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
  (the engine's dual-MA grid on a synthetic bundle);
- :mod:`~rustybt.benchmarking.profiling`: cProfile tables, flame graph, memory profile of a call
  or a backtest (``rustybt profile``), with :mod:`~rustybt.benchmarking.flamegraph` (call tree
  and SVG from ``pstats``), :mod:`~rustybt.benchmarking.memprofile` (tracemalloc) and
  :mod:`~rustybt.benchmarking.profilereport` (the tables);
- :mod:`~rustybt.benchmarking.reportmodel`: what a report shows (configurations, comparisons,
  the multiplicative waterfall), from a PerformanceReport or a folder of result sets;
- :mod:`~rustybt.benchmarking.report` and :mod:`~rustybt.benchmarking.charts`: its Markdown,
  JSON and PNG charts (``rustybt bench report``);
- :mod:`~rustybt.benchmarking.tables`: the benchmark scripts' shared output (tables on the
  console, in Markdown, JSON and docs; ``--json``/``--markdown``/``--update-doc``);
- :mod:`~rustybt.benchmarking.regression`: the CI regression gate's rule (speedups of
  interleaved pairs against a recorded baseline file; ``benchmarks/gate.py`` runs it).

The package is lazy (PEP 562): ``from rustybt.benchmarking import X`` imports ``X``'s module on
first use, so importing :mod:`~rustybt.benchmarking.tables` alone (every benchmark script and
its worker processes do) costs neither scipy nor matplotlib.
"""

from typing import TYPE_CHECKING

from rustybt._lazy import lazy_exports

if TYPE_CHECKING:  # the names, for type checkers; at run time each is imported on first use
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
    from rustybt.benchmarking.regression import (
        GateBaseline,
        GateOutcome,
        PairedTimes,
        measure_pairs,
        median_speedup,
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

_NAMES_BY_MODULE: dict[str, tuple[str, ...]] = {
    "charts": ("speedup_waterfall", "time_per_configuration"),
    "components": (
        "ALTERNATIVE_STATUSES",
        "COMPONENT_STATUSES",
        "AlternativeSolution",
        "BaselineImplementation",
        "OptimizationComponent",
        "PerformanceReport",
    ),
    "decisions": (
        "DEFAULT_DECISIONS_DIR",
        "STEP_STATUSES",
        "DecisionRecord",
        "render_decision",
        "write_decisions",
    ),
    "docfigures": ("read_between_markers", "update_between_markers"),
    "equivalence": ("EquivalenceCheck", "describe_tolerance", "first_difference"),
    "flamegraph": ("FlameNode", "call_tree", "render_svg", "write_flamegraph"),
    "memprofile": ("AllocationSite", "MemoryProfile", "trace_memory"),
    "models": ("DATASET_SIZES", "BenchmarkResult", "BenchmarkResultSet", "PerformanceThreshold"),
    "profilereport": ("FunctionStats", "ProfileReport", "top_functions", "total_time"),
    "profiling": (
        "PY_SPY_FORMATS",
        "SAMPLERS",
        "profile_backtest",
        "profile_call",
        "py_spy_executable",
    ),
    "regression": (
        "GateBaseline",
        "GateOutcome",
        "PairedTimes",
        "measure_pairs",
        "median_speedup",
    ),
    "report": ("CHART_FILES", "ReportFiles", "report_dict", "report_markdown", "write_report"),
    "reportmodel": (
        "BenchmarkReport",
        "Comparison",
        "Configuration",
        "WaterfallStep",
        "format_seconds",
        "from_performance_report",
        "from_result_sets",
        "load_report_input",
    ),
    "runner": ("InterleavedRuns", "environment", "measure", "run_interleaved"),
    "sequential": (
        "FLAG_CATEGORIES",
        "Measure",
        "SequentialEvaluation",
        "evaluate_sequence",
        "resolve_optimizations",
    ),
    "statistics": (
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
    ),
    "tables": ("Column", "ScriptReport", "Table", "add_output_flags", "emit"),
    "workloads": ("DmaGrid", "make_dma_grid"),
}
__all__ = [
    "ALTERNATIVE_STATUSES",
    "CHART_FILES",
    "COMPONENT_STATUSES",
    "DATASET_SIZES",
    "DEFAULT_DECISIONS_DIR",
    "FLAG_CATEGORIES",
    "PY_SPY_FORMATS",
    "SAMPLERS",
    "STEP_STATUSES",
    "AllocationSite",
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
    "FlameNode",
    "FunctionStats",
    "GateBaseline",
    "GateOutcome",
    "InterleavedRuns",
    "Measure",
    "MemoryProfile",
    "OptimizationComponent",
    "PairedTimes",
    "PerformanceReport",
    "PerformanceThreshold",
    "ProfileReport",
    "RatioInterval",
    "ReportFiles",
    "ScriptReport",
    "SequentialEvaluation",
    "Table",
    "TestResult",
    "WaterfallStep",
    "add_output_flags",
    "bootstrap_ratio_ci",
    "call_tree",
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
    "measure_pairs",
    "median_speedup",
    "paired_t_test",
    "profile_backtest",
    "profile_call",
    "py_spy_executable",
    "read_between_markers",
    "render_decision",
    "render_svg",
    "report_dict",
    "report_markdown",
    "resolve_optimizations",
    "run_interleaved",
    "speedup_waterfall",
    "time_per_configuration",
    "top_functions",
    "total_time",
    "trace_memory",
    "update_between_markers",
    "welch_t_test",
    "write_decisions",
    "write_flamegraph",
    "write_report",
]
__getattr__, __dir__ = lazy_exports(__name__, _NAMES_BY_MODULE, __all__)
