"""Render a benchmark report: Markdown, JSON and PNG charts in a folder, and into a doc.

:func:`write_report` takes a :class:`~rustybt.benchmarking.PerformanceReport`, its JSON file,
a folder of ``BenchmarkResultSet`` JSON files, or an already built
:class:`~rustybt.benchmarking.reportmodel.BenchmarkReport`, and writes into ``out_dir``:

- ``report.md``: the title and source, the time per configuration (chart and table: runs,
  mean, median, 95% CI of the mean), the cumulative waterfall (chart and table: each step's
  time ratio and interval, the running product, each layer's product, the total), and one
  table per comparison (mean, median, CI of each side; speedup, its interval, the t-test and
  Mann–Whitney p-values, the decision) with its reasons;
- ``report.json``: the same numbers unformatted (keys sorted, NaN refused);
- ``time_per_configuration.png`` and ``speedup_waterfall.png`` (:mod:`~.charts`).

With ``update_doc`` the same Markdown, its image links made relative to the document's
folder, replaces the block between ``<!-- BENCHMARK:<marker>:START/END -->`` of that file
(:func:`~rustybt.benchmarking.docfigures.update_between_markers`); its markers are checked
before anything is written. Every file is written atomically; the same input gives the same
bytes (no timestamps are added).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rustybt._fs import atomic_write
from rustybt.benchmarking.charts import speedup_waterfall, time_per_configuration
from rustybt.benchmarking.components import PerformanceReport
from rustybt.benchmarking.docfigures import read_between_markers, update_between_markers
from rustybt.benchmarking.reportmodel import (
    BenchmarkReport,
    Comparison,
    format_seconds,
    from_performance_report,
    load_report_input,
)
from rustybt.benchmarking.statistics import TestResult

__all__ = ["CHART_FILES", "ReportFiles", "report_dict", "report_markdown", "write_report"]

#: File names of the charts in the output folder.
CHART_FILES = {"time_per_configuration": "time_per_configuration.png",
               "speedup_waterfall": "speedup_waterfall.png"}
MARKDOWN_FILE = "report.md"
JSON_FILE = "report.json"


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote."""

    markdown: Path
    json: Path
    charts: tuple[Path, ...]
    doc: Path | None = None


def _ci(low: float, high: float) -> str:
    return f"{format_seconds(low)} – {format_seconds(high)}"


def _p(test: TestResult) -> str:
    return f"{test.p_value:.3g}"


def _comparison_table(c: Comparison, confidence: float) -> list[str]:
    slow, shigh = c.interval.speedup_ci
    test = "paired t" if c.paired else "Welch t"
    head = (f"| configuration | runs | mean | median | 95% CI of the mean | speedup | "
            f"{confidence:.0%} CI of the speedup | p ({test}, log) | p (Mann–Whitney) | "
            "decision |")
    rows = [head, "|---|---:|---:|---:|---|---:|---|---:|---:|---|"]
    for s, last in ((c.baseline, False), (c.optimized, True)):
        lo, hi = s.ci95
        cells = [s.name, str(s.n), format_seconds(s.mean), format_seconds(s.median),
                 _ci(lo, hi)]
        cells += ([f"{c.interval.speedup:.3f}×", f"{slow:.3f}× – {shigh:.3f}×", _p(c.t_test),
                   _p(c.mann_whitney), f"**{c.status}**"] if last else ["", "", "", "", ""])
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def report_markdown(report: BenchmarkReport, image_prefix: str = "") -> str:
    """The report as Markdown; image links are ``image_prefix`` + the chart's file name."""
    th = report.threshold
    out = [f"## {report.title}", "",
           f"Source: {report.source}. Threshold: at least {th.min_improvement:.1%} faster with "
           f"p < {th.alpha:.3g} ({th.confidence:.0%} confidence), at least {th.min_runs} runs "
           f"per side, peak memory +{th.max_memory_increase:.1%} at most. Time ratio = "
           "optimized / baseline (below 1 is faster); speedup = 1 / ratio.", "",
           "### Time per configuration", "",
           f"![time per configuration]({image_prefix}{CHART_FILES['time_per_configuration']})",
           "", "| configuration | status | runs | mean | median | 95% CI of the mean |",
           "|---|---|---:|---:|---:|---|"]
    for cfg in report.configurations:
        s = cfg.results
        out.append(f"| {cfg.label} | {cfg.status} | {s.n} | {format_seconds(s.mean)} | "
                   f"{format_seconds(s.median)} | {_ci(*cfg.ci)} |")
    out += ["", "### Cumulative speedup", "",
            f"![cumulative speedup]({image_prefix}{CHART_FILES['speedup_waterfall']})", "",
            f"| step | layer | time ratio | {th.confidence:.0%} CI | cumulative time ratio | "
            "cumulative speedup |", "|---|---|---:|---|---:|---:|"]
    for step in report.waterfall:
        out.append(f"| {step.name} | {step.layer} | {step.ratio:.4f} | {step.low:.4f} – "
                   f"{step.high:.4f} | {step.after:.4f} | {1 / step.after:.3f}× |")
    total = report.total_ratio
    out.append(f"| **total** | | | | **{total:.4f}** | **{1 / total:.3f}×** |")
    layers = report.layer_ratios
    if layers:
        out += ["", "Per layer (product of its steps): " + "; ".join(
            f"{name} ×{ratio:.4f}" for name, ratio in layers.items()) + "."]
    if report.comparisons:
        out += ["", "### Components"]
    for c in report.comparisons:
        where = c.layer if c.flag is None else f"{c.layer}, flag `{c.flag}`"
        chain = "in the cumulative chain" if c.in_chain else "not in the cumulative chain"
        out += ["", f"#### {c.name} ({where}; {chain})", "",
                *_comparison_table(c, th.confidence)]
        if c.reasons:
            out += ["", *(f"- {r}" for r in c.reasons)]
    if report.not_measured:
        out += ["", "Not measured: " + ", ".join(f"{n} ({s})" for n, s in report.not_measured)
                + "."]
    return "\n".join(out) + "\n"


def _test(t: TestResult) -> dict[str, Any]:
    return {"method": t.method, "statistic": t.statistic, "p_value": t.p_value,
            "alternative": t.alternative}


def report_dict(report: BenchmarkReport) -> dict[str, Any]:
    """The report's numbers as JSON-ready values (unformatted)."""
    configs = [{"label": c.label, "status": c.status, "name": c.results.name, "n": c.results.n,
                "mean": c.results.mean, "median": c.results.median, "std": c.results.std,
                "ci95": list(c.ci)} for c in report.configurations]
    comps = [{"name": c.name, "layer": c.layer, "flag": c.flag, "baseline": c.baseline.name,
              "optimized": c.optimized.name, "status": c.status, "paired": c.paired,
              "time_ratio": c.interval.ratio, "ci": [c.interval.low, c.interval.high],
              "confidence": c.interval.confidence, "method": c.interval.method,
              "speedup": c.interval.speedup, "speedup_ci": list(c.interval.speedup_ci),
              "improvement": c.interval.improvement, "t_test": _test(c.t_test),
              "mann_whitney": _test(c.mann_whitney), "in_chain": c.in_chain,
              "reasons": list(c.reasons)} for c in report.comparisons]
    steps = [{"name": s.name, "layer": s.layer, "ratio": s.ratio, "ci": [s.low, s.high],
              "before": s.before, "after": s.after} for s in report.waterfall]
    return {"title": report.title, "source": report.source,
            "threshold": report.threshold.to_dict(), "configurations": configs,
            "comparisons": comps, "waterfall": steps, "layers": report.layer_ratios,
            "total_time_ratio": report.total_ratio, "total_speedup": 1 / report.total_ratio,
            "not_measured": [list(x) for x in report.not_measured],
            "charts": dict(CHART_FILES)}


def _as_report(source: BenchmarkReport | PerformanceReport | str | Path,
               title: str | None) -> BenchmarkReport:
    if isinstance(source, BenchmarkReport):
        return source
    if isinstance(source, PerformanceReport):
        return from_performance_report(source)
    return load_report_input(source, title)


def write_report(source: BenchmarkReport | PerformanceReport | str | Path,
                 out_dir: str | Path, *, title: str | None = None,
                 update_doc: str | Path | None = None, marker: str = "report") -> ReportFiles:
    """Write the report's Markdown, JSON and charts into ``out_dir`` (module docstring).

    Raises:
        BenchmarkInputNotFound: The input path does not exist or holds no result set.
        InvalidBenchmarkRecord: The input is not a valid record (the file is named).
        InsufficientRuns: A configuration has fewer than two runs.
        DocMarkersNotFound: ``update_doc`` lacks the markers of ``marker`` (checked first:
            nothing is written).
    """
    report = _as_report(source, title)
    if update_doc is not None:
        read_between_markers(update_doc, marker)  # fail before writing anything
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    charts = {CHART_FILES["time_per_configuration"]: time_per_configuration(report),
              CHART_FILES["speedup_waterfall"]: speedup_waterfall(report)}
    for name, png in charts.items():
        atomic_write(out / name, png)
    md, js = out / MARKDOWN_FILE, out / JSON_FILE
    atomic_write(md, report_markdown(report))
    atomic_write(js, json.dumps(report_dict(report), indent=1, sort_keys=True, allow_nan=False,
                                ensure_ascii=False) + "\n")
    doc = None
    if update_doc is not None:
        doc = Path(update_doc)
        rel = Path(os.path.relpath(out.resolve(), doc.resolve().parent)).as_posix()
        prefix = "" if rel == "." else rel + "/"
        update_between_markers(doc, marker, report_markdown(report, prefix))
    return ReportFiles(md, js, tuple(out / n for n in charts), doc)
