"""``rustybt sql``: run read-only SQL over a bundle, or open an interactive prompt.

rustybt sql BUNDLE "SELECT ..." [--format table|csv|json|parquet] [--output FILE]
                                [--version V] [--param VALUE ...]
rustybt sql BUNDLE                # interactive: statements end with ';'
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa

__all__ = ["FORMATS", "add_commands", "interactive", "write_result"]

FORMATS = ("table", "csv", "json", "parquet")
_PROMPT, _MORE = "sql> ", "  -> "
_HELP = """Statements end with ';' and may span lines. Commands:
  .tables           list the relations
  .schema [NAME]    columns and types of one relation (or all)
  .help             this text
  .quit / .exit     leave (Ctrl-D too)"""


def add_commands(sub: Any, bundles_sub: Any) -> None:
    """Register ``rustybt sql``."""
    _ = bundles_sub
    p = sub.add_parser(
        "sql",
        help="run read-only SQL over a bundle (DuckDB); no query opens a prompt",
        description="Run read-only SQL over a bundle's relations (daily_bars, "
        "daily_bars_adjusted, minute_bars, assets, splits, dividends, mergers, sessions, ...). "
        "Without QUERY, open an interactive prompt.",
    )
    p.add_argument("bundle", help="bundle name, or path of a bundle version directory")
    p.add_argument("query", nargs="?", default=None, help="SQL text (omit for a prompt)")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format")
    p.add_argument("--output", "-o", default=None, help="write to FILE instead of stdout")
    p.add_argument("--version", default=None, help="bundle version (directory or hash prefix)")
    p.add_argument(
        "--param", "-p", action="append", default=None, help="value for a '?' (repeatable)"
    )
    p.add_argument("--max-rows", type=int, default=100, help="rows shown by --format table")
    p.set_defaults(func=_run)


def _load(args: argparse.Namespace) -> Any:
    from rustybt.data.bundles import Bundle, load

    path = Path(args.bundle)
    if (path / "manifest.json").exists():
        return Bundle(path)
    return load(args.bundle, args.version, root=getattr(args, "root", None))


def _table_text(table: pa.Table, max_rows: int | None) -> str:
    import pandas as pd

    from rustybt import SQLResult

    frame = SQLResult(table).df()
    shown = frame if max_rows is None else frame.head(max_rows)
    with pd.option_context("display.max_columns", None, "display.width", 200):
        text = shown.to_string(index=False) if len(frame.columns) else "(no columns)"
    n = len(frame)
    more = f", first {len(shown)} shown" if len(shown) < n else ""
    return f"{text}\n({n} row{'s' if n != 1 else ''}{more})\n"


def write_result(
    table: pa.Table, fmt: str, output: str | None, out: TextIO, max_rows: int | None = None
) -> None:
    """Write a result table in one of :data:`FORMATS` to ``output`` (a path) or ``out``."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        if output is None:
            raise SystemExit("rustybt sql: --format parquet needs --output FILE")
        pq.write_table(table, output)
        return
    if fmt == "table":
        text = _table_text(table, None if output else max_rows)
    elif fmt == "csv":
        import pyarrow.csv as pcsv

        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(table.column_names)
        buf = io.BytesIO()
        pcsv.write_csv(table, buf, pcsv.WriteOptions(include_header=False))
        text = header.getvalue() + buf.getvalue().decode()
    else:
        import polars as pl

        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        text = frame.write_json() + "\n"
    if output is None:
        out.write(text)
    else:
        Path(output).write_text(text)


def _run(args: argparse.Namespace) -> int:
    from rustybt import SQLError
    from rustybt.data.sql.engine import bundle_sql

    try:
        engine = bundle_sql(_load(args))
    except (OSError, KeyError) as exc:
        print(f"rustybt sql: {exc}", file=sys.stderr)
        return 2
    if args.query is None:
        return interactive(engine, sys.stdin, sys.stdout)
    try:
        result = engine.query(args.query, args.param)
    except SQLError as exc:
        print(f"rustybt sql: {exc}", file=sys.stderr)
        return 1
    write_result(result.arrow(), args.format, args.output, sys.stdout, args.max_rows)
    return 0


def _history_file() -> Path:  # pragma: no cover - only with a terminal
    from rustybt.data.bundles import bundle_root

    return bundle_root() / "sql_history"


def _setup_readline(tty: bool) -> Any:
    """Enable line editing and history when talking to a terminal (if readline exists)."""
    if not tty:
        return None
    try:  # pragma: no cover - only with a terminal
        import readline

        path = _history_file()
        if path.exists():
            readline.read_history_file(str(path))
        return readline
    except (ImportError, OSError):  # pragma: no cover
        return None


def _dot_command(engine: Any, line: str, out: TextIO) -> bool:
    """Run a '.command'; return False to quit."""
    parts = line.split()
    cmd, rest = parts[0], parts[1:]
    if cmd in (".quit", ".exit"):
        return False
    if cmd == ".tables":
        out.write("\n".join(engine.relations) + "\n")
    elif cmd == ".schema":
        names = rest or engine.relations
        for name in names:
            try:
                cols = engine.schema(name)
            except Exception as exc:  # SQLQueryError: unknown relation
                out.write(f"error: {exc}\n")
                continue
            body = ",\n".join(f"    {c} {t}" for c, t in cols)
            out.write(f"{name} (\n{body}\n)\n")
    elif cmd == ".help":
        out.write(_HELP + "\n")
    else:
        out.write(f"unknown command {cmd!r}; try .help\n")
    return True


def interactive(engine: Any, stdin: TextIO, out: TextIO) -> int:
    """A small SQL prompt on one private cursor (TEMP tables last for the session).

    Reads ``stdin`` line by line: statements end with ``;`` and may span lines; lines
    starting with ``.`` are commands (``.tables``, ``.schema [name]``, ``.help``, ``.quit``).
    """
    from rustybt import SQLError

    tty = stdin.isatty()
    readline = _setup_readline(tty)
    cursor = engine.new_cursor()
    if tty:  # pragma: no cover - only with a terminal
        out.write(f"rustybt sql on {engine.bundle!r}. End statements with ';'. .help for help.\n")
    buffer: list[str] = []
    try:
        while True:
            prompt = (_MORE if buffer else _PROMPT) if tty else ""
            if tty:  # pragma: no cover - input() gives readline editing and history
                try:
                    line = input(prompt)
                except EOFError:
                    break
            else:
                raw = stdin.readline()
                if not raw:
                    break
                line = raw.rstrip("\n")
            stripped = line.strip()
            if not buffer and stripped.startswith("."):
                if not _dot_command(engine, stripped, out):
                    break
                continue
            if stripped:
                buffer.append(line)
            if not stripped.endswith(";"):
                continue
            text = "\n".join(buffer)
            buffer = []
            try:
                result = engine.query(text, cursor=cursor)
            except SQLError as exc:
                out.write(f"error: {exc}\n")
                continue
            write_result(result.arrow(), "table", None, out, max_rows=100)
            out.flush()
    finally:
        if readline is not None:  # pragma: no cover
            try:
                path = _history_file()
                path.parent.mkdir(parents=True, exist_ok=True)
                readline.write_history_file(str(path))
            except OSError:
                pass
    if buffer:
        out.write("error: input ended inside a statement (missing ';')\n")
        return 1
    return 0
