"""``rustybt bench report``: end to end, and one clear error line with exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from rustybt.benchmarking import CHART_FILES, PerformanceReport, read_between_markers
from rustybt.cli import main

DOC = "# Perf\n\n<!-- BENCHMARK:perf:START -->\n<!-- BENCHMARK:perf:END -->\n"


def test_report_end_to_end(perf_report: PerformanceReport, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    # in process (the console script is main(); tests/cli run it in real processes)
    src = tmp_path / "perf.json"
    src.write_text(perf_report.to_json())
    doc = tmp_path / "perf.md"
    doc.write_text(DOC)
    monkeypatch.chdir(tmp_path)
    assert main(["--root", str(tmp_path / "root"), "bench", "report", "perf.json", "--out",
                 "out", "--update-doc", "perf.md", "--marker", "perf"]) == 0
    out, err = capsys.readouterr()
    names = ["report.md", "report.json", *CHART_FILES.values()]
    assert err == ""
    assert out.splitlines() == [*(f"wrote out/{n}" for n in names),
                                "updated perf.md (marker 'perf')"]
    assert all((tmp_path / "out" / n).stat().st_size > 0 for n in names)
    body = read_between_markers(doc, "perf")
    assert body.startswith("## Tiny evaluation") and "](out/speedup_waterfall.png)" in body


def _error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["bench", "report", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("error: ")
    return err


def test_bad_input_is_one_error_line_and_exit_2(perf_report: PerformanceReport, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "out")
    missing = tmp_path / "missing.json"
    assert f"{missing}: no such file or folder" in _error(capsys, str(missing), "--out", out)
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "PerformanceReport", ')
    assert f"{bad}: PerformanceReport: not a JSON record" in _error(capsys, str(bad), "--out",
                                                                   out)
    other = tmp_path / "set.json"
    assert perf_report.baseline.results is not None
    other.write_text(perf_report.baseline.results.to_json())
    assert "holds a 'BenchmarkResultSet' record" in _error(capsys, str(other), "--out", out)
    good = tmp_path / "perf.json"
    good.write_text(perf_report.to_json())
    doc = tmp_path / "doc.md"
    doc.write_text("# no markers\n")
    err = _error(capsys, str(good), "--out", out, "--update-doc", str(doc), "--marker", "x")
    assert f"{doc}: marker <!-- BENCHMARK:x:START --> is missing" in err
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit) as info:  # argparse: --out is required
        main(["bench", "report", str(good)])
    assert info.value.code == 2
