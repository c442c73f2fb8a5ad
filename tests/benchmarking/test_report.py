"""The report renders from a real small run: Markdown, JSON, deterministic PNG charts."""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest

from rustybt.benchmarking import (
    CHART_FILES,
    BenchmarkResult,
    BenchmarkResultSet,
    PerformanceReport,
    ReportFiles,
    cumulative_time_ratio,
    decide,
    format_seconds,
    from_performance_report,
    load_report_input,
    log_ratio_ci,
    paired_t_test,
    read_between_markers,
    report_markdown,
    welch_t_test,
    write_report,
)
from rustybt.benchmarking.charts import CHART_DPI
from rustybt.errors import (
    BenchmarkInputNotFound,
    DocMarkersNotFound,
    InsufficientRuns,
    InvalidBenchmarkRecord,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DOC = "# Perf\n<!-- BENCHMARK:eval:START -->\nold\n<!-- BENCHMARK:eval:END -->\ntail\n"


@pytest.fixture(scope="module")
def perf(perf_report: PerformanceReport) -> PerformanceReport:
    return perf_report


@dataclass(frozen=True)
class Rendered:
    """The report written twice: from the record, and from its JSON file into a doc."""

    a: ReportFiles
    b: ReportFiles
    doc: Path


@pytest.fixture(scope="module")
def rendered(perf: PerformanceReport, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    tmp = tmp_path_factory.mktemp("report")
    src = tmp / "perf.json"
    src.write_text(perf.to_json())
    doc = tmp / "docs" / "perf.md"
    doc.parent.mkdir()
    doc.write_text(DOC)
    a = write_report(perf, tmp / "a")
    b = write_report(src, tmp / "figures", update_doc=doc, marker="eval")
    return Rendered(a, b, doc)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_writes_markdown_json_and_valid_pngs(perf: PerformanceReport, rendered: Rendered) -> None:
    files = rendered.a
    assert sorted(p.name for p in files.markdown.parent.iterdir()) == sorted(
        ["report.md", "report.json", *CHART_FILES.values()])
    for chart in files.charts:
        width, height = _png_size(chart.read_bytes())
        assert width == 8 * CHART_DPI and height > 100
        assert b"matplotlib" not in chart.read_bytes()  # no Software metadata
    data = json.loads(files.json.read_text())
    sets = [perf.baseline.results, *(c.optimized for c in perf.components[:3])]
    assert [c["label"] for c in data["configurations"]] == [
        "all_off", "history cache", "array returns", "pre grouping"]
    for got, s in zip(data["configurations"], sets, strict=True):
        assert s is not None
        assert (got["n"], got["mean"], got["median"]) == (10, s.mean, s.median)
        assert got["ci95"] == list(s.ci95)
    assert data["not_measured"] == [["bundle pooling", "pending"]]
    rep = from_performance_report(perf)
    assert data["total_time_ratio"] == rep.total_ratio
    assert [s["after"] for s in data["waterfall"]] == [s.after for s in rep.waterfall]


def test_same_input_gives_the_same_bytes(rendered: Rendered) -> None:
    # b was rendered from the JSON file (a from the record), in another folder
    for a, b in zip([rendered.a.markdown, rendered.a.json, *rendered.a.charts],
                    [rendered.b.markdown, rendered.b.json, *rendered.b.charts], strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_waterfall_multiplies_the_accepted_steps(perf: PerformanceReport) -> None:
    rep = from_performance_report(perf)
    accepted = [c for c in perf.components if c.status == "accepted"]
    ratios = []
    for comp in accepted:
        assert comp.baseline is not None and comp.optimized is not None
        ratios.append(log_ratio_ci(comp.baseline, comp.optimized, 0.95, paired=True).ratio)
    steps = rep.waterfall
    assert [s.name for s in steps] == ["history cache", "array returns"]
    assert [s.ratio for s in steps] == ratios
    assert rep.total_ratio == cumulative_time_ratio(ratios)
    assert math.isclose(steps[-1].after, rep.total_ratio, rel_tol=1e-12)
    assert steps[0].before == 1.0 and steps[1].before == steps[0].after
    assert rep.layer_ratios == {"data": ratios[0], "execution": ratios[1]}
    assert rep.total_ratio < 0.5  # 150k -> 50k -> 5k: far faster, whatever the noise
    rejected = rep.comparisons[2]
    assert not rejected.in_chain and not rejected.paired and rejected.status == "rejected"
    assert rejected.t_test == welch_t_test(rejected.baseline, rejected.optimized, log=True)
    first = rep.comparisons[0]
    assert first.paired
    assert first.t_test == paired_t_test(first.baseline, first.optimized, log=True)


def test_markdown_tables_hold_the_numbers(perf: PerformanceReport, rendered: Rendered) -> None:
    rep = from_performance_report(perf)
    md = rendered.a.markdown.read_text()
    assert md == report_markdown(rep)
    assert md.startswith("## Tiny evaluation\n")
    assert "![time per configuration](time_per_configuration.png)" in md
    for cfg in rep.configurations:
        s = cfg.results
        lo, hi = s.ci95
        assert (f"| {cfg.label} | {cfg.status} | 10 | {format_seconds(s.mean)} | "
                f"{format_seconds(s.median)} | {format_seconds(lo)} – {format_seconds(hi)} |"
                ) in md
    for c in rep.comparisons:
        assert f"#### {c.name} ({c.layer}, flag `{c.flag}`;" in md
        slow_ci, fast_ci = c.interval.speedup_ci
        assert (f"| {c.interval.speedup:.3f}× | {slow_ci:.3f}× – {fast_ci:.3f}× | "
                f"{c.t_test.p_value:.3g} | {c.mann_whitney.p_value:.3g} | **{c.status}** |") in md
    total = rep.total_ratio
    assert f"| **total** | | | | **{total:.4f}** | **{1 / total:.3f}×** |" in md
    assert "- measured faster" in md and "Not measured: bundle pooling (pending)." in md


def test_folder_of_result_sets_is_a_chain(perf: PerformanceReport, tmp_path: Path) -> None:
    a, b = perf.components[0], perf.components[1]
    assert a.baseline and a.optimized and b.optimized
    sets = [a.baseline, a.optimized, b.optimized]
    for i, s in enumerate(sets):
        (tmp_path / f"{i:02d}-{s.name}.json").write_text(s.to_json())
    rep = load_report_input(tmp_path)
    assert [c.label for c in rep.configurations] == [s.name for s in sets]
    assert [(c.baseline, c.optimized) for c in rep.comparisons] == [(sets[0], sets[1]),
                                                                     (sets[1], sets[2])]
    first = decide(sets[0], sets[1], rep.threshold, paired=True)
    assert rep.comparisons[0].status == ("accepted" if first.accepted else "rejected")
    assert not rep.comparisons[1].paired  # b.optimized's runs were not interleaved with sets[1]
    assert rep.total_ratio == cumulative_time_ratio(c.interval.ratio for c in rep.comparisons)


def test_update_doc_writes_between_markers(perf: PerformanceReport, rendered: Rendered,
                                           tmp_path: Path) -> None:
    body = read_between_markers(rendered.doc, "eval")
    assert body.startswith("## Tiny evaluation")
    assert "![cumulative speedup](../figures/speedup_waterfall.png)" in body
    assert body == rendered.b.markdown.read_text().strip("\n").replace("](", "](../figures/")
    text = rendered.doc.read_text()
    assert text.startswith("# Perf\n<!-- BENCHMARK:eval:START -->\n## Tiny")
    assert text.endswith("<!-- BENCHMARK:eval:END -->\ntail\n")
    with pytest.raises(DocMarkersNotFound, match="BENCHMARK:other:START"):
        write_report(perf, tmp_path / "out", update_doc=rendered.doc, marker="other")
    assert not (tmp_path / "out").exists()  # markers checked before anything is written


def _set(name: str, *times: float) -> BenchmarkResultSet:
    return BenchmarkResultSet(name, tuple(BenchmarkResult(t, t, 1, 1, index=i)
                                          for i, t in enumerate(times)))


def test_bad_inputs_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkInputNotFound, match=r"missing\.json: no such file"):
        load_report_input(tmp_path / "missing.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BenchmarkInputNotFound, match="holds no"):
        load_report_input(tmp_path / "empty")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidBenchmarkRecord, match=r"bad.json: PerformanceReport: not a JSON"):
        load_report_input(bad)
    one = tmp_path / "sets"
    one.mkdir()
    (one / "a.json").write_text(_set("a", 1.0, 1.1).to_json())
    (one / "b.json").write_text(_set("b", 0.5).to_json())
    with pytest.raises(InsufficientRuns, match="'b' has 1 run"):
        load_report_input(one)
    (one / "b.json").write_text(_set("a", 0.5, 0.6).to_json())
    with pytest.raises(InvalidBenchmarkRecord, match=r"names repeat: \['a'\]"):
        load_report_input(one)
    (one / "b.json").write_text("[]")
    with pytest.raises(InvalidBenchmarkRecord, match=r"b.json: BenchmarkResultSet: expected"):
        load_report_input(one)
