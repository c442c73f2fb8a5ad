"""Tables printed by the CLI, drawn by rich.

On a terminal: a rich table with a bold header and a rule under it, fitted to the terminal's
width. Anywhere else (a pipe, a file, tests): plain text a script can parse and that never
changes with the terminal, i.e. no colour, no box characters, no wrapping or truncation, one
line per row, columns separated by two spaces, numbers right-aligned, trailing spaces removed.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TextIO

from rich import box
from rich.console import Console
from rich.table import Table

__all__ = ["Column", "is_terminal", "print_table"]

_PLAIN_WIDTH = 1 << 20  # never wrap plain output


@dataclass(frozen=True)
class Column:
    """A column: its header and how its cells align."""

    header: str
    justify: Literal["left", "right"] = "left"


def is_terminal(out: TextIO) -> bool:
    """Whether ``out`` is an interactive terminal."""
    isatty = getattr(out, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # closed stream
        return False


def print_table(
    columns: Sequence[Column | str], rows: Iterable[Sequence[str]], out: TextIO
) -> None:
    """Print rows under headers: a rich table on a terminal, plain aligned text elsewhere."""
    cols = [c if isinstance(c, Column) else Column(c) for c in columns]
    tty = is_terminal(out)
    if tty:
        table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    else:
        table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 1))
    for c in cols:
        table.add_column(c.header, justify=c.justify, no_wrap=not tty)
    for row in rows:
        table.add_row(*row)
    if tty:
        Console(file=out, markup=False, highlight=False, emoji=False).print(table)
        return
    buf = io.StringIO()
    Console(
        file=buf,
        width=_PLAIN_WIDTH,
        force_terminal=False,
        no_color=True,
        markup=False,
        highlight=False,
        emoji=False,
    ).print(table)
    out.write("".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines()))
