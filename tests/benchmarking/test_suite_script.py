"""benchmarks/suite.py: sections written between their markers; a failing one says so.

Nothing here measures (the suite's sections take minutes; the scripts have their own smoke
tests): the page writing runs on the one section that needs no subprocess (compat without
zipline) and on a section whose command really fails.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from rustybt.benchmarking.docfigures import read_between_markers

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "suite.py"
PAGE = REPO / "docs" / "performance" / "characteristics.md"


@pytest.fixture(scope="module")
def suite():
    spec = importlib.util.spec_from_file_location("rustybt_suite_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.fixture
def page(tmp_path):
    doc = tmp_path / "characteristics.md"
    shutil.copy(PAGE, doc)
    return doc


def test_every_section_has_its_markers_on_the_page(suite):
    for name in [*suite.SECTIONS, "environment"]:
        read_between_markers(PAGE, f"suite.{name}")  # raises DocMarkersNotFound if absent


def test_a_section_is_written_with_its_command_and_the_machine(suite, page):
    before = page.read_text()
    assert suite.main(["--no-zipline", "--only", "compat", "--doc", str(page)]) == 0
    body = read_between_markers(page, "suite.compat")
    assert "`.venv/bin/python benchmarks/suite.py --no-zipline --only compat --doc" in body
    assert "Not run (`--no-zipline`)" in body
    env = read_between_markers(page, "suite.environment")
    assert "- machine: " in env and "sections run: compat" in env
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


def test_json_reports_render_as_tables(suite):
    text = suite.json_tables({"calls": [{"case": "a", "us": 1.23456}, {"case": "b", "us": None}],
                              "backtest": {"total_s": 1234.5, "same": True}})
    assert "| case | us |" in text and "| a | 1.23 |" in text and "| b | – |" in text
    assert "**backtest**" in text and "| total_s | 1,234 |" in text and "| same | True |" in text
