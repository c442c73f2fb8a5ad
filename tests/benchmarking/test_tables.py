"""The benchmark scripts' shared output: tables on the console, in Markdown, JSON and docs."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from rustybt.benchmarking import (
    Column,
    ScriptReport,
    Table,
    add_output_flags,
    emit,
    read_between_markers,
)
from rustybt.errors import DocMarkersNotFound

COLUMNS = [
    Column("case", "case", width=12),
    Column("us", "time", "{value:,.2f} {row[unit]}", "right", width=11),
    Column("ratio", "ratio", lambda v, row: f"{v:.0f}×", "right"),
    Column("target", "target", missing=""),
]


def _report(out: io.StringIO | None = None) -> tuple[ScriptReport, Table]:
    rep = ScriptReport("demo", out=out)
    rep.log("progress line")
    rep.text("Measured by `demo`.")
    table = rep.table("cases", COLUMNS, title="Cases", note="Medians of 3.")
    table.add(case="one", us=1234.5, ratio=68.4, target="met", unit="µs")
    table.add(case="two", us=2.0, ratio=None, target=None, unit="ms")
    return rep, table


def test_cells_console_and_markdown() -> None:
    out = io.StringIO()
    rep, table = _report(out)
    assert out.getvalue() == (
        "progress line\nMeasured by `demo`.\n\nCases\n\nMedians of 3.\n\n"
        "case                 time  ratio  target\n"
        "----------------------------------------\n"
        "one           1,234.50 µs    68×  met\n"
        "two               2.00 ms      –\n")
    assert table.console() == out.getvalue().split("`demo`.\n", 1)[1]
    assert rep.markdown() == (
        "Measured by `demo`.\n\n### Cases\n\nMedians of 3.\n\n"
        "| case | time | ratio | target |\n|---|---:|---:|---|\n"
        "| one | 1,234.50 µs | 68× | met |\n| two | 2.00 ms | – |  |\n")


def test_rows_are_printed_as_they_are_added() -> None:
    out = io.StringIO()
    rep = ScriptReport("demo", out=out)
    table = rep.table("t", [Column("a", "a"), Column("b", "b", "{value:.1f}", "right")])
    assert out.getvalue() == "a  b\n----\n"
    table.add(a="x", b=1.25)
    assert out.getvalue().endswith("x  1.2\n")


def test_a_row_needs_every_column() -> None:
    table = Table("t", [Column("a", "a"), Column("b", "b")])
    with pytest.raises(ValueError, match=r"table 't'.*no value for column\(s\) \['b'\]"):
        table.add(a=1)
    with pytest.raises(ValueError, match="repeat"):
        Table("t", [Column("a", "a"), Column("a", "b")])


def test_json_keeps_raw_values_and_refuses_nan() -> None:
    rep, _ = _report()
    rep.data["verdict"] = {"gain": 0.5}
    data = json.loads(rep.to_json())
    assert data["name"] == "demo" and data["text"] == ["Measured by `demo`."]
    assert data["tables"][0]["rows"][0] == {"case": "one", "us": 1234.5, "ratio": 68.4,
                                            "target": "met", "unit": "µs"}
    assert data["data"] == {"verdict": {"gain": 0.5}}
    rep.data["bad"] = float("nan")
    with pytest.raises(ValueError, match="not JSON compliant"):
        rep.to_json()


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_output_flags(parser, "demo")
    return parser.parse_args(list(argv))


def test_emit_writes_every_output(tmp_path: Path) -> None:
    rep, _ = _report()
    doc = tmp_path / "doc.md"
    doc.write_text("x\n<!-- BENCHMARK:demo:START -->\n<!-- BENCHMARK:demo:END -->\ny\n")
    js, md = tmp_path / "r.json", tmp_path / "r.md"
    assert emit(rep, _args("--json", str(js), "--markdown", str(md), "--update-doc",
                           str(doc))) == [js, md, doc]
    assert json.loads(js.read_text()) == rep.to_dict()
    assert md.read_text() == rep.markdown()
    assert read_between_markers(doc, "demo") == rep.markdown().strip("\n")
    assert emit(rep, _args()) == []
    with pytest.raises(DocMarkersNotFound, match="BENCHMARK:other:START"):
        emit(rep, _args("--update-doc", str(doc), "--marker", "other"))
