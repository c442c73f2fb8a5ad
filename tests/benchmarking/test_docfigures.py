"""Figures between markers: written in place, the rest kept, bad markers refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from rustybt.benchmarking import read_between_markers, update_between_markers
from rustybt.errors import BenchmarkError, DocMarkersNotFound

DOC = """# Title

Intro text.
<!-- BENCHMARK:t:START -->
old table
<!-- BENCHMARK:t:END -->
After.
<!-- BENCHMARK:other:START -->
keep me
<!-- BENCHMARK:other:END -->
"""


def test_replaces_only_the_named_block(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(DOC)
    assert update_between_markers(doc, "t", "| a | b |\n|---|---|\n| 1 | 2 |\n")
    text = doc.read_text()
    assert read_between_markers(doc, "t") == "| a | b |\n|---|---|\n| 1 | 2 |"
    assert read_between_markers(doc, "other") == "keep me"
    assert text.startswith("# Title\n\nIntro text.\n")
    assert text.endswith(
        "After.\n<!-- BENCHMARK:other:START -->\nkeep me\n<!-- BENCHMARK:other:END -->\n"
    )
    assert not update_between_markers(doc, "t", "| a | b |\n|---|---|\n| 1 | 2 |")  # unchanged


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("no markers here\n", "BENCHMARK:t:START --> is missing"),
        ("<!-- BENCHMARK:t:START -->\nx\n", "BENCHMARK:t:END --> is missing"),
        (DOC + "<!-- BENCHMARK:t:START -->\n", "appears 2 times"),
        ("<!-- BENCHMARK:t:END -->\n<!-- BENCHMARK:t:START -->\n", "comes before"),
    ],
    ids=["missing", "no-end", "repeated", "reversed"],
)
def test_bad_markers_name_file_and_marker_and_write_nothing(tmp_path: Path, text: str,
                                                            fragment: str) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(text)
    with pytest.raises(DocMarkersNotFound, match=fragment) as info:
        update_between_markers(doc, "t", "new")
    assert str(doc) in str(info.value)
    assert isinstance(info.value, BenchmarkError) and isinstance(info.value, ValueError)
    assert doc.read_text() == text


def test_marker_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(DocMarkersNotFound, match="marker name"):
        update_between_markers(tmp_path / "x.md", "bad name -->", "x")


def test_sql_doc_holds_its_generated_block() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "user-guide" / "sql.md"
    block = read_between_markers(doc, "sql")
    assert block.startswith("Measured by `.venv/bin/python benchmarks/sql.py")
