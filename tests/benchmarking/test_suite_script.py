"""benchmarks/suite.py: sections written between their markers; a failing one says so.

Nothing here measures (the suite's sections take minutes; the scripts have their own smoke
tests): the page writing runs on the one section that needs no subprocess (compat without
zipline) and on a section whose command really fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest
from script_support import load_script

from rustybt.benchmarking.docfigures import read_between_markers
from rustybt.benchmarking.tables import ScriptReport

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "performance" / "characteristics.md"


@pytest.fixture(scope="module")
def suite():
    yield from load_script("suite.py", "rustybt_suite_script")


@pytest.fixture
def page(tmp_path):
    doc = tmp_path / "characteristics.md"
    shutil.copy(PAGE, doc)
    return doc


def test_every_section_has_its_markers_on_the_page(suite):
    for name in [*suite.SECTIONS, "environment"]:
        read_between_markers(PAGE, f"suite.{name}")  # raises DocMarkersNotFound if absent


def test_a_section_is_written_with_its_command_and_the_machine(suite, page, tmp_path):
    before = page.read_text()
    work = tmp_path / "not" / "there"  # made by the suite
    assert suite.main(["--no-zipline", "--only", "compat", "--doc", str(page),
                       "--work", str(work)]) == 0
    assert work.is_dir()
    body = read_between_markers(page, "suite.compat")
    assert "`.venv/bin/python benchmarks/suite.py --no-zipline --only compat --doc" in body
    assert "Not run (`--no-zipline`)" in body
    env = read_between_markers(page, "suite.environment")
    assert "- machine: " in env and "sections run: compat" in env
    assert "a partial run: every other section keeps the stamp" in env
    assert "- seconds per section, wall / CPU (this process and its children): compat " in env
    for other in ("history", "sql", "gate"):  # sections not run keep their text
        assert read_between_markers(page, f"suite.{other}") in before


def test_a_failing_section_is_marked_not_measured_and_fails_the_run(suite, page,
                                                                    monkeypatch, capsys):
    def broken(self):
        return suite.run_script("ingest.py", ["--no-such-flag"], 120).stdout

    monkeypatch.setitem(suite.SECTIONS, "ingest", broken)
    assert suite.main(["--only", "ingest", "--doc", str(page)]) == 1
    body = read_between_markers(page, "suite.ingest")
    assert "**Not measured in this run**: `ingest.py --no-such-flag` exited 2" in body
    assert "unrecognized arguments: --no-such-flag" in body


HARNESS_SCRIPT = """\
import argparse, sys
sys.path.insert(0, {repo!r})
from rustybt.benchmarking.tables import Column, ScriptReport, add_output_flags, emit

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
add_output_flags(parser, "tiny")
args = parser.parse_args()
report = ScriptReport("tiny")
report.log("console only")
report.text("quick" if args.quick else "full")
report.table("t", [Column("case", "case"), Column("s", "s", "{{value:.2f}}", "right")]).add(
    case="a", s=1.23456)
emit(report, args)
"""


def _suite(suite, tmp_path, monkeypatch, quick):
    monkeypatch.setattr(suite, "HERE", tmp_path)
    args = argparse.Namespace(quick=quick, no_zipline=False, argv=[], doc=tmp_path / "page.md")
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return suite.Suite(args, work)


def test_a_harness_script_is_rendered_from_its_own_markdown(suite, tmp_path, monkeypatch):
    (tmp_path / "tiny.py").write_text(HARNESS_SCRIPT.format(repo=str(REPO)))
    suite_ = _suite(suite, tmp_path, monkeypatch, quick=True)
    body = suite_.markdown("tiny.py", suite_.flags())
    assert body == "quick\n\n| case | s |\n|---|---:|\n| a | 1.23 |"  # not the console's
    assert "console only" not in body


def test_quick_leaves_ray_the_rivals_and_the_rebalance_to_the_full_run(suite, tmp_path,
                                                                       monkeypatch):
    calls = []

    def markdown(self, script, args, timeout=1800):
        calls.append((script, list(args)))
        return "body"

    monkeypatch.setattr(suite.Suite, "markdown", markdown)
    quick = _suite(suite, tmp_path, monkeypatch, quick=True)
    assert quick.optimization().startswith("`--quick`: Ray, backtrader and vectorbt are left to "
                                           "the full run (`make bench`)")
    assert calls.pop() == ("optimization.py", ["--quick", "--ray-trials", "0", "--no-rivals"])
    quick.backtest()
    worlds = str(tmp_path / "work" / "zipline-worlds")  # one cache for the run's scripts
    assert calls.pop() == ("backtest.py", ["--quick", "--zipline-cache", worlds,
                                           "--skip-rebalance"])
    full = _suite(suite, tmp_path, monkeypatch, quick=False)
    assert full.optimization() == "body" and calls.pop() == ("optimization.py", [])
    full.backtest()
    assert calls.pop() == ("backtest.py", ["--zipline-cache", worlds])


def test_history_cache_verdicts_come_from_its_json_report(suite):
    report = ScriptReport("history", out=None)
    report.data["cache"] = {"array price n=50": {"gain": 0.9812, "beats_5pct": True,
                                                 "single_pass_overhead": -0.1}}
    text = suite.cache_verdicts(json.loads(report.to_json()))
    assert "| array price n=50 | 0.981 | True | -0.1 |" in text
