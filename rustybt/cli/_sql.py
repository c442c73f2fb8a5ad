"""``rustybt sql``: run read-only SQL over a bundle, or open an interactive prompt.

rustybt sql BUNDLE "SELECT ..." [--format table|csv|json|parquet] [--output FILE]
                                [--version V] [--param VALUE ...] [--timeout SECONDS]
                                [--memory-limit 2GB] [--spill]
rustybt sql BUNDLE                # interactive: statements end with ';'

Ctrl-C interrupts the running query (exit status 130); ``--timeout`` interrupts it after
SECONDS (exit status 1, a one-line message).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TextIO

import duckdb
import pyarrow as pa

from rustybt.cli._table import Column, print_table

__all__ = ["FORMATS", "add_commands", "check_output", "interactive", "write_result"]

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
    p.add_argument(
        "--max-rows",
        type=int,
        default=100,
        help="rows shown by --format table (only those are kept in memory; the rest are counted)",
    )
    p.add_argument("--timeout", type=float, default=None, help="interrupt the query after SECONDS")
    p.add_argument(
        "--memory-limit", default=None, help="DuckDB memory limit, e.g. 2GB (default 80%% of RAM)"
    )
    p.add_argument(
        "--spill",
        action="store_true",
        help="spill what exceeds the memory limit to a private directory under <root>/tmp",
    )
    p.set_defaults(func=_run)


def _load(args: argparse.Namespace) -> Any:
    from rustybt.data.bundles import Bundle, load

    path = Path(args.bundle)
    if (path / "manifest.json").exists():
        return Bundle(path)
    return load(args.bundle, args.version, root=getattr(args, "root", None))


def _cell(value: object) -> str:
    if value is None:
        return "NULL"
    return str(value)


def _justify(dtype: pa.DataType) -> Literal["left", "right"]:
    numeric = pa.types.is_integer(dtype) or pa.types.is_floating(dtype)
    return "right" if numeric or pa.types.is_decimal(dtype) else "left"


def _head(reader: pa.RecordBatchReader, limit: int | None) -> tuple[pa.Table, int]:
    """The first ``limit`` rows (all when None) and the total row count.

    Rows past ``limit`` are counted batch by batch and dropped: memory stays at one batch.
    """
    kept: list[pa.RecordBatch] = []
    have = total = 0
    for batch in reader:
        total += batch.num_rows
        if limit is None or have < limit:
            take = batch if limit is None else batch.slice(0, limit - have)
            kept.append(take)
            have += take.num_rows
    return pa.Table.from_batches(kept, schema=reader.schema), total


def _write_table(reader: pa.RecordBatchReader, out: TextIO, max_rows: int | None) -> None:
    shown, n = _head(reader, max_rows)
    if not shown.num_columns:
        out.write("(no columns)\n")
    else:
        columns = [Column(f.name, _justify(f.type)) for f in shown.schema]
        values = [[_cell(v) for v in col.to_pylist()] for col in shown.columns]
        print_table(columns, list(zip(*values, strict=True)), out)
    more = f", first {shown.num_rows} shown" if shown.num_rows < n else ""
    out.write(f"({n} row{'s' if n != 1 else ''}{more})\n")


def _write_csv(reader: pa.RecordBatchReader, sink: TextIO) -> None:
    import pyarrow.csv as pcsv

    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(reader.schema.names)
    sink.write(header.getvalue())
    options = pcsv.WriteOptions(include_header=False)
    for batch in reader:
        buf = io.BytesIO()
        pcsv.write_csv(batch, buf, options)
        sink.write(buf.getvalue().decode())


def _write_json(reader: pa.RecordBatchReader, sink: TextIO) -> None:
    """One JSON array of row objects, written a batch at a time."""
    import polars as pl

    sink.write("[")
    first = True
    for batch in reader:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        inner = frame.write_json().strip()[1:-1]
        if inner:
            sink.write(inner if first else "," + inner)
            first = False
    sink.write("]\n")


def write_result(
    result: pa.RecordBatchReader | pa.Table,
    fmt: str,
    output: str | None,
    out: TextIO,
    max_rows: int | None = None,
) -> None:
    """Write a result in one of :data:`FORMATS` to ``output`` (a path) or ``out``, streaming.

    Batches are written as they arrive (csv, json, parquet): memory holds about one batch.
    ``table`` keeps only the ``max_rows`` it prints (to ``out``) and counts the rest; to a file
    it writes every row, so it holds the whole result (use csv or parquet for large ones).
    """
    reader = result.to_reader() if isinstance(result, pa.Table) else result
    if fmt == "parquet":
        import pyarrow.parquet as pq

        if output is None:
            raise SystemExit("rustybt sql: --format parquet needs --output FILE")
        with pq.ParquetWriter(output, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
        return
    with contextlib.ExitStack() as stack:
        sink = out if output is None else stack.enter_context(open(output, "w"))
        if fmt == "table":
            _write_table(reader, sink, None if output else max_rows)
        elif fmt == "csv":
            _write_csv(reader, sink)
        else:
            _write_json(reader, sink)


def check_output(output: str, protected: list[Path]) -> str | None:
    """Why ``output`` cannot be written (None when it can): inside a bundles directory, or in
    a directory that does not exist."""
    path = Path(output).expanduser()
    resolved = path.resolve()
    for folder in protected:
        folder = folder.expanduser().resolve()
        if resolved == folder or resolved.is_relative_to(folder):
            return (
                f"refusing to write --output {output}: it is inside the bundles directory "
                f"{folder}, and writing there would change a bundle; choose a path outside it"
            )
    if path.is_dir():
        return f"cannot write --output {output}: it is a directory"
    if not resolved.parent.is_dir():
        return f"cannot write --output {output}: directory {path.parent} does not exist"
    return None


def _protected(args: argparse.Namespace, bundle: Any) -> list[Path]:
    """The root's bundles directory and the loaded bundle's own (a bundle given by path)."""
    from rustybt.data.bundles import bundle_root

    return [bundle_root(getattr(args, "root", None)) / "bundles", Path(bundle.path).parent]


def _run(args: argparse.Namespace) -> int:
    try:
        bundle = _load(args)
    except (OSError, KeyError) as exc:
        print(f"rustybt sql: {exc}", file=sys.stderr)
        return 2
    if args.output is not None:
        problem = check_output(args.output, _protected(args, bundle))
        if problem is not None:
            print(f"rustybt sql: {problem}", file=sys.stderr)
            return 2
    try:
        engine = _engine(args, bundle)
    except (OSError, KeyError) as exc:
        print(f"rustybt sql: {exc}", file=sys.stderr)
        return 2
    except duckdb.Error as exc:  # a bad --memory-limit
        print(f"rustybt sql: --memory-limit {args.memory_limit}: {exc}", file=sys.stderr)
        return 2
    try:
        return _query(args, engine)
    finally:
        if args.memory_limit is not None or args.spill:  # our own engine (and spill dir)
            engine.close()


def _query(args: argparse.Namespace, engine: Any) -> int:
    from rustybt import BundleError, SQLError

    if args.query is None:
        return interactive(engine, sys.stdin, sys.stdout)
    try:
        with engine.session() as session:
            _interruptible(
                session,
                lambda: write_result(
                    session.stream(args.query, args.param, timeout=args.timeout),
                    args.format,
                    args.output,
                    sys.stdout,
                    args.max_rows,
                ),
            )
    except KeyboardInterrupt:
        print("rustybt sql: interrupted", file=sys.stderr)
        return 130
    except (SQLError, BundleError, ValueError) as exc:  # BundleVersionRemoved: not the output
        print(f"rustybt sql: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the output file: permission, disk full...
        where = args.output if args.output is not None else "stdout"
        print(f"rustybt sql: cannot write --output {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def _engine(args: argparse.Namespace, bundle: Any) -> Any:
    from rustybt.data.bundles import bundle_root
    from rustybt.data.sql.engine import BundleSQL, bundle_sql

    if args.memory_limit is None and not args.spill:
        return bundle_sql(bundle)
    spill = bundle_root(getattr(args, "root", None)) / "tmp" if args.spill else None
    return BundleSQL(bundle, memory_limit=args.memory_limit, spill_dir=spill)


def _interruptible(session: Any, work: Callable[[], None]) -> None:
    """Run ``work`` (a query and its output) in a worker thread; Ctrl-C interrupts the query.

    DuckDB holds the calling thread inside C until a query ends, so a SIGINT would wait for
    it; here the main thread waits instead, and on KeyboardInterrupt stops the query with
    DuckDB's ``interrupt()`` before re-raising.
    """
    failed: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # handed to the main thread
            failed.append(exc)

    worker = threading.Thread(target=run, name="rustybt-sql", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
    except KeyboardInterrupt:
        try:  # some phases (a large sort) check for interrupts rarely: ask until it stops
            while worker.is_alive():
                session.interrupt()
                worker.join(0.5)
        except KeyboardInterrupt:  # a second Ctrl-C: leave now, the query still running
            print("rustybt sql: interrupted", file=sys.stderr)
            sys.stderr.flush()
            os._exit(130)
        failed.clear()  # the query's error (and the frames holding its cursor's result) goes
        raise
    if failed:
        raise failed[0]


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
    from rustybt import BundleError, SQLError

    tty = stdin.isatty()
    readline = _setup_readline(tty)
    session = engine.session()
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
                reader = session.stream(text)
                write_result(reader, "table", None, out, max_rows=100)
            except (SQLError, BundleError) as exc:  # BundleVersionRemoved: clean ran
                out.write(f"error: {exc}\n")
                continue
            out.flush()
    finally:
        session.close()
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
