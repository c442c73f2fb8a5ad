"""One output harness for the benchmark scripts: tables on the console, in Markdown and JSON.

A script builds a :class:`ScriptReport` (named after the script), adds text and
:class:`Table` s to it while it measures, and at the end calls :func:`emit` with the parsed
arguments; :func:`add_output_flags` gave its parser the same three outputs every script has:

- ``--json PATH``: every table's rows as raw values (numbers unformatted), the text, and the
  script's extra ``data``;
- ``--markdown PATH``: the Markdown of the report (text paragraphs and tables);
- ``--update-doc FILE``: that Markdown written into ``FILE`` between the markers
  ``<!-- BENCHMARK:<marker>:START/END -->`` (:mod:`~rustybt.benchmarking.docfigures`);
  ``--marker`` defaults to the script's name.

Adopting it in a script (``benchmarks/NAME.py``)::

    report = ScriptReport("NAME")
    add_output_flags(parser, "NAME")            # before parse_args
    table = report.table("cases", [Column("case", "case", width=40),
                                   Column("ms", "median ms", "{value:.2f}", "right")])
    table.add(case="first", ms=1.5)             # printed at once
    emit(report, args)                          # writes --json/--markdown/--update-doc

Invariants: a row gives a value for every column (else ``ValueError`` naming the table and
column; extra keys are kept in the JSON), ``None`` shows as the column's ``missing`` text; the
console shows the same cell text as the Markdown, printed as it is measured (a long run shows
progress), columns left or right aligned to ``max(len(header), width)``; :meth:`ScriptReport.log`
lines go to the console only; JSON refuses NaN and infinity (``allow_nan=False``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from rustybt._fs import atomic_write
from rustybt.benchmarking.docfigures import update_between_markers

__all__ = ["Column", "ScriptReport", "Table", "add_output_flags", "emit"]

Formatter = str | Callable[[Any, Mapping[str, Any]], str]


@dataclass(frozen=True)
class Column:
    """A column of a :class:`Table`.

    Attributes:
        key: The row's key holding the value (also its JSON key).
        header: The header shown.
        format: A ``str.format`` template given ``value`` and ``row`` (``"{value:,.2f}
            {row[unit]}"``), or a callable ``(value, row) -> str``.
        align: ``left`` or ``right``.
        width: Least console width (wider headers widen it).
        missing: Text shown for a ``None`` value.
    """

    key: str
    header: str
    format: Formatter = "{value}"
    align: Literal["left", "right"] = "left"
    width: int = 0
    missing: str = "–"

    def cell(self, row: Mapping[str, Any]) -> str:
        """The text of this column's cell in ``row``."""
        value = row[self.key]
        if value is None:
            return self.missing
        if callable(self.format):
            return self.format(value, row)
        return self.format.format(value=value, row=row)

    @property
    def console_width(self) -> int:
        """Width of the column on the console."""
        return max(len(self.header), self.width)


class Table:
    """Rows under named columns; printed row by row when it belongs to a live report."""

    def __init__(self, name: str, columns: Sequence[Column], *, title: str | None = None,
                 note: str | None = None, out: TextIO | None = None) -> None:
        if not columns:
            raise ValueError(f"table {name!r} needs at least one column")
        keys = [c.key for c in columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"table {name!r}: column keys repeat: {keys}")
        self.name = name
        self.columns = tuple(columns)
        self.title = title
        self.note = note
        self.rows: list[dict[str, Any]] = []
        self._out = out
        if out is not None:
            out.write(self._console_head())
            out.flush()

    def add(self, **values: Any) -> dict[str, Any]:
        """Append a row (a value for every column; more keys go to the JSON only)."""
        missing = [c.key for c in self.columns if c.key not in values]
        if missing:
            raise ValueError(f"table {self.name!r}: the row {values!r:.120} has no value for "
                             f"column(s) {missing}")
        row = dict(values)
        self.rows.append(row)
        if self._out is not None:
            self._out.write(self._console_row(row) + "\n")
            self._out.flush()
        return row

    def _line(self, cells: Sequence[str]) -> str:
        parts = [cell.rjust(c.console_width) if c.align == "right" else
                 cell.ljust(c.console_width) for c, cell in zip(self.columns, cells, strict=True)]
        return "  ".join(parts).rstrip()

    def _console_head(self) -> str:
        head = self._line([c.header for c in self.columns])
        lines = [] if self.title is None else ["", self.title, ""]
        if self.note is not None:
            lines += [self.note, ""]
        return "\n".join([*lines, head, "-" * len(head)]) + "\n"

    def _console_row(self, row: Mapping[str, Any]) -> str:
        return self._line([c.cell(row) for c in self.columns])

    def console(self) -> str:
        """The table as aligned plain text (title, note, header, a rule, rows)."""
        return self._console_head() + "".join(self._console_row(r) + "\n" for r in self.rows)

    def markdown(self) -> str:
        """The table as Markdown (``### title``, the note, then the table)."""
        out = [] if self.title is None else [f"### {self.title}", ""]
        if self.note is not None:
            out += [self.note, ""]
        out.append("| " + " | ".join(c.header for c in self.columns) + " |")
        out.append("|" + "|".join("---:" if c.align == "right" else "---"
                                  for c in self.columns) + "|")
        out += ["| " + " | ".join(c.cell(r) for c in self.columns) + " |" for r in self.rows]
        return "\n".join(out) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Name, title, note, columns (key and header) and the rows' raw values."""
        return {"name": self.name, "title": self.title, "note": self.note,
                "columns": [{"key": c.key, "header": c.header} for c in self.columns],
                "rows": [dict(r) for r in self.rows]}


@dataclass
class ScriptReport:
    """What one benchmark script run printed and measured, in order.

    Attributes:
        name: The script's name (``history``); the default doc marker.
        out: Where the console output goes as it is produced (None: nowhere).
        blocks: Text paragraphs and tables, in order (what the Markdown shows).
        data: Extra JSON payload of the script (verdicts, raw measurements).
    """

    name: str
    out: TextIO | None = field(default_factory=lambda: sys.stdout)
    blocks: list[str | Table] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def _print(self, text: str) -> None:
        if self.out is not None:
            self.out.write(text + "\n")
            self.out.flush()

    def log(self, line: str = "") -> None:
        """Print a progress line (console only: not in the Markdown or the JSON)."""
        self._print(line)

    def text(self, paragraph: str) -> None:
        """Print a paragraph and keep it for the Markdown and the JSON."""
        self._print(paragraph)
        self.blocks.append(paragraph)

    def table(self, name: str, columns: Sequence[Column], *, title: str | None = None,
              note: str | None = None) -> Table:
        """A new table of this report (its header is printed now, its rows as added)."""
        table = Table(name, columns, title=title, note=note, out=self.out)
        self.blocks.append(table)
        return table

    @property
    def tables(self) -> list[Table]:
        """The report's tables, in order."""
        return [b for b in self.blocks if isinstance(b, Table)]

    def markdown(self) -> str:
        """Text paragraphs and tables, separated by blank lines."""
        parts = [b.markdown().rstrip("\n") if isinstance(b, Table) else b.strip("\n")
                 for b in self.blocks]
        return "\n\n".join(parts) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {"name": self.name,
                "text": [b for b in self.blocks if isinstance(b, str)],
                "tables": [t.to_dict() for t in self.tables], "data": self.data}

    def to_json(self) -> str:
        """The report as JSON (NaN and infinity refused)."""
        return json.dumps(self.to_dict(), indent=1, allow_nan=False, ensure_ascii=False) + "\n"


def add_output_flags(parser: argparse.ArgumentParser, name: str) -> None:
    """Give ``parser`` the outputs every benchmark script has (module docstring)."""
    group = parser.add_argument_group("output")
    group.add_argument("--json", type=Path, default=None, metavar="PATH",
                       help="also write the tables' raw values as JSON")
    group.add_argument("--markdown", type=Path, default=None, metavar="PATH",
                       help="also write the report as Markdown")
    group.add_argument("--update-doc", type=Path, default=None, metavar="FILE",
                       help="write the Markdown report into FILE between its "
                       "<!-- BENCHMARK:<marker>:START/END --> markers")
    group.add_argument("--marker", default=name,
                       help=f"the marker name of --update-doc (default {name!r})")


def emit(report: ScriptReport, args: argparse.Namespace) -> list[Path]:
    """Write the outputs ``args`` asks for (from :func:`add_output_flags`); the paths written.

    Raises:
        DocMarkersNotFound: ``--update-doc``'s file lacks the markers (nothing written there).
    """
    written: list[Path] = []
    if args.json is not None:
        atomic_write(Path(args.json), report.to_json())
        written.append(Path(args.json))
    if args.markdown is not None:
        atomic_write(Path(args.markdown), report.markdown())
        written.append(Path(args.markdown))
    if args.update_doc is not None:
        update_between_markers(args.update_doc, args.marker, report.markdown())
        written.append(Path(args.update_doc))
    return written
