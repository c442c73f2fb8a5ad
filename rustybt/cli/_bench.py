"""``rustybt bench``: the benchmark framework's commands.

rustybt bench evaluate [--output DIR] [--flags a,b,...] [--runs N] [--min-runs N] [--warmup N]
                       [--goal SPEEDUP] [--min-improvement F] [--confidence F]
                       [--max-memory-increase F] [--strict] [--rtol F] [--atol F]
                       [--assets N] [--sessions N] [--trials N] [--backend serial|processes]
                       [--workers N] [--fresh-process] [--seed S]

``evaluate`` runs the sequential evaluation on the built-in workload (the engine's dual-MA
grid on a synthetic bundle written to a temporary directory): the OptimizationConfig flags
are turned on one at a time on top of the accepted ones; each must give the all-off result
exactly (else it is rejected, unmeasured) and then be at least ``--min-improvement`` faster
with p < 1 - ``--confidence`` (paired t and Mann-Whitney over interleaved runs); the sequence
stops at ``--goal`` or after two rejections in a row. One decision record per flag is written
to ``--output`` (``NN-flag.json`` and ``.md``, with ``sequence.json`` and a ``README.md``
index). Progress goes to stderr; a summary table to stdout.
Exit status: 0 done; 1 the workload failed or the records could not be written; 2 bad
arguments.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["add_commands"]


def add_commands(sub: Any, bundles_sub: Any) -> None:
    """Register ``rustybt bench`` and its subcommands."""
    _ = bundles_sub
    p = sub.add_parser("bench", help="measure optimizations, record the decisions, render "
                       "reports", description="The benchmark framework's commands.")
    bench_sub = p.add_subparsers(dest="bench_command", metavar="ACTION")
    _add_evaluate(bench_sub)
    _add_report(bench_sub)


#: ``rustybt.benchmarking.decisions.DEFAULT_DECISIONS_DIR`` (a test pins them equal): importing
#: the benchmarking package here would load scipy into every ``rustybt`` command's start-up.
DEFAULT_DECISIONS_DIR = "docs/internal/benchmarks/decisions"


def _add_evaluate(bench_sub: Any) -> None:
    p = bench_sub.add_parser(
        "evaluate",
        help="turn the optimization flags on one at a time; keep those equivalent and faster",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    a = p.add_argument
    a("--output", "-o", default=str(DEFAULT_DECISIONS_DIR), metavar="DIR",
      help=f"folder of the decision records (default {DEFAULT_DECISIONS_DIR})")
    a("--flags", default=None, metavar="A,B,...",
      help="flags in evaluation order (default: every OptimizationConfig flag, declared order)")
    a("--runs", type=int, default=None, metavar="N",
      help="measured runs per side (default: --min-runs)")
    a("--min-runs", type=int, default=10, metavar="N", help="the threshold's least runs (10)")
    a("--warmup", type=int, default=1, metavar="N", help="unrecorded calls per side (1)")
    a("--goal", type=float, default=None, metavar="SPEEDUP",
      help="stop once the cumulative speedup reaches it, e.g. 1.5 (default: no goal)")
    a("--min-improvement", type=float, default=0.05, metavar="F",
      help="least improvement to accept, a fraction (0.05)")
    a("--confidence", type=float, default=0.95, metavar="F", help="confidence (0.95)")
    a("--max-memory-increase", type=float, default=0.02, metavar="F",
      help="largest mean peak RSS increase, a fraction (0.02)")
    a("--strict", action="store_true",
      help="also require the CI's least improvement to clear --min-improvement")
    a("--rtol", type=float, default=0.0, help="relative tolerance of the equivalence check (0)")
    a("--atol", type=float, default=0.0, help="absolute tolerance of the equivalence check (0)")
    a("--assets", type=int, default=5, metavar="N", help="synthetic assets (5)")
    a("--sessions", type=int, default=120, metavar="N", help="simulated daily sessions (120)")
    a("--trials", type=int, default=4, metavar="N", help="grid points per run, 1..16 (4)")
    a("--backend", choices=("serial", "processes"), default="serial",
      help="executor of the grid (serial)")
    a("--workers", type=int, default=2, metavar="N", help="workers of --backend processes (2)")
    a("--fresh-process", action="store_true",
      help="measure every run in a new process (per-run peak RSS; slower)")
    a("--seed", type=int, default=0, help="seed of random/NumPy before every run (0)")
    p.set_defaults(func=_cmd_evaluate)


def _fail(message: str, code: int) -> int:
    print(f"rustybt bench evaluate: {message}", file=sys.stderr)
    return code


def _command(args: argparse.Namespace) -> str:
    """The full command line that reruns this evaluation (every option spelled out)."""
    argv = ["rustybt", "bench", "evaluate", "--output", args.output]
    if args.flags is not None:
        argv += ["--flags", args.flags]
    argv += ["--runs", str(args.runs if args.runs is not None else args.min_runs),
             "--min-runs", str(args.min_runs), "--warmup", str(args.warmup)]
    if args.goal is not None:
        argv += ["--goal", repr(args.goal)]
    argv += ["--min-improvement", repr(args.min_improvement), "--confidence",
             repr(args.confidence), "--max-memory-increase", repr(args.max_memory_increase)]
    argv += ["--strict"] if args.strict else []
    if args.rtol or args.atol:
        argv += ["--rtol", repr(args.rtol), "--atol", repr(args.atol)]
    argv += ["--assets", str(args.assets), "--sessions", str(args.sessions), "--trials",
             str(args.trials), "--backend", args.backend]
    argv += ["--workers", str(args.workers)] if args.backend != "serial" else []
    argv += ["--fresh-process"] if args.fresh_process else []
    return shlex.join([*argv, "--seed", str(args.seed)])


def _git_commit() -> dict[str, str]:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"git_commit": out} if out else {}


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from rustybt import __version__
    from rustybt.benchmarking import (
        PerformanceThreshold,
        evaluate_sequence,
        resolve_optimizations,
        write_decisions,
    )
    from rustybt.benchmarking.workloads import make_dma_grid
    from rustybt.errors import BenchmarkError, InsufficientRuns

    try:  # every argument is checked before the bundle is written
        flags = resolve_optimizations(
            None if args.flags is None else [f.strip() for f in args.flags.split(",")])
        threshold = PerformanceThreshold(args.min_improvement, args.confidence, args.min_runs,
                                         args.max_memory_increase, "grid_search", "small")
        if args.runs is not None and args.runs < args.min_runs:
            raise ValueError(f"--runs {args.runs} is below --min-runs {args.min_runs}")
    except ValueError as exc:  # InvalidBenchmarkRecord is one
        return _fail(str(exc), 2)
    extra = {"rustybt": __version__, **_git_commit(),
             "measured_in": "a fresh process per run" if args.fresh_process else "one process"}
    with tempfile.TemporaryDirectory(prefix="rustybt-bench-") as tmp:
        try:
            grid = make_dma_grid(Path(tmp), n_assets=args.assets, n_sessions=args.sessions,
                                 n_trials=args.trials, backend=args.backend,
                                 workers=args.workers)
            evaluation = evaluate_sequence(
                grid, threshold, workload=grid.describe(), command=_command(args),
                optimizations=flags, goal_speedup=args.goal, runs=args.runs,
                warmup=args.warmup, rtol=args.rtol, atol=args.atol, strict=args.strict,
                fresh_process=args.fresh_process, seed=args.seed, extra_environment=extra,
                progress=lambda line: print(line, file=sys.stderr, flush=True))
        except (ValueError, InsufficientRuns) as exc:
            return _fail(str(exc), 2)
        except BenchmarkError as exc:
            return _fail(str(exc), 1)
    try:
        written = write_decisions(evaluation, args.output)
    except OSError as exc:
        return _fail(f"cannot write the records to {args.output}: {exc}", 1)
    _print_summary(evaluation, written[0].parent)
    return 0


def _print_summary(evaluation: Any, folder: Path) -> None:
    from rustybt.cli._table import Column, print_table

    rows = []
    for s in evaluation.steps:
        speed = p_t = p_mw = "-"
        if s.measured:
            d = s.decision
            low, high = d.interval.speedup_ci
            speed = f"{d.interval.speedup:.3f}x [{low:.3f}, {high:.3f}]"
            p_t, p_mw = f"{d.t_test.p_value:.3g}", f"{d.mann_whitney.p_value:.3g}"
        rows.append([f"{s.position:02d}", s.flag, s.status.replace("_", " "), speed, p_t, p_mw,
                     f"{1 / s.cumulative_time_ratio:.3f}x"])
    columns = [Column("#", "right"), Column("flag"), Column("outcome"),
               Column("speedup [95% CI]", "right"), Column("p (t)", "right"),
               Column("p (MW)", "right"), Column("cumulative", "right")]
    print_table(columns, rows, sys.stdout)
    accepted = ", ".join(evaluation.accepted) or "none"
    print(f"accepted: {accepted}; cumulative speedup {evaluation.cumulative_speedup:.3f}x")
    if evaluation.stop_reason:
        print(f"stopped: {evaluation.stop_reason}")
    print(f"records: {folder}")


# --------------------------------------------------------------------------- bench report
def _add_report(bench_sub: Any) -> None:
    p = bench_sub.add_parser(
        "report",
        help="render a benchmark report: Markdown, JSON and PNG charts",
        description="Render a PerformanceReport JSON file (or a folder of BenchmarkResultSet "
        "JSON files, an ordered chain of configurations) into DIR: report.md, report.json, "
        "time_per_configuration.png and speedup_waterfall.png. With --update-doc, the same "
        "Markdown also replaces the block between <!-- BENCHMARK:NAME:START/END --> in FILE.",
    )
    p.add_argument("input", metavar="REPORT.json",
                   help="a PerformanceReport JSON file, or a folder of result-set JSON files")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    p.add_argument("--update-doc", default=None, metavar="FILE",
                   help="also write the report into this Markdown file between its markers")
    p.add_argument("--marker", default="report", metavar="NAME",
                   help="marker name of --update-doc (default 'report')")
    p.add_argument("--title", default=None, help="report title (default: the report's own)")
    p.set_defaults(func=_run_report)


def _run_report(args: argparse.Namespace) -> int:
    from rustybt.benchmarking.report import write_report
    from rustybt.errors import BenchmarkError

    try:
        files = write_report(args.input, args.out, title=args.title,
                             update_doc=args.update_doc, marker=args.marker)
    except (BenchmarkError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in (files.markdown, files.json, *files.charts):
        print(f"wrote {path}")
    if files.doc is not None:
        print(f"updated {files.doc} (marker {args.marker!r})")
    return 0
