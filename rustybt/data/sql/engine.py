"""SQL over bundles with DuckDB: read-only, confined to the bundle, one cursor per thread.

Example::

    result = sql(bundle, "SELECT sid, avg(close) FROM daily_bars WHERE date >= ? GROUP BY sid",
                 ["2020-01-01"])
    result.arrow(); result.pl(); result.df()

Relations: ``daily_bars``, ``daily_bars_adjusted``, ``minute_bars``, ``assets``,
``symbol_history``, ``splits``, ``mergers``, ``dividends``, ``stock_dividends``, ``sessions``,
``daily_adjustment_factors`` (see docs/user-guide/sql.md). Parameters are bound by DuckDB
(``?`` with a list, ``$name`` with a dict), never formatted into the SQL text. The sandbox is
described in :mod:`rustybt.data.sql.sandbox`.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from rustybt._lru import LRU
from rustybt.data.sql._deadline import Deadline, check_timeout
from rustybt.data.sql._translate import translate_error
from rustybt.data.sql.result import SQLResult
from rustybt.data.sql.sandbox import CATALOG, open_sandbox
from rustybt.data.sql.session import Params, SQLSession
from rustybt.data.sql.views import PUBLIC_RELATIONS, build_catalog, load_sources
from rustybt.data.sql.window import asof_join_sql, rolling_sql
from rustybt.errors import SQLError, SQLQueryError

if TYPE_CHECKING:
    import pandas as pd

    from rustybt.data.bundles.bundle import Bundle

__all__ = [
    "BundleSQL",
    "Params",
    "SQLResult",
    "SQLSession",
    "bundle_sql",
    "sql",
]


# Statements that read and create nothing: they may run on the thread's long-lived cursor.
_READ_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})


class BundleSQL:
    """A read-only DuckDB view of one bundle version, safe to share between threads.

    Building one costs a few tens of milliseconds (the bundle's small tables are read and a
    catalog of views is written and reopened read-only); queries then scan the Parquet files
    through pyarrow. Each thread gets its own DuckDB cursor.

    Args:
        bundle: The bundle version to query.
        threads: DuckDB worker threads per query (default: all cores).
        memory_limit: DuckDB's memory limit, e.g. ``'2GB'`` (default: 80 % of RAM). A query
            that needs more fails with an out-of-memory :class:`SQLQueryError`, or spills.
        spill_dir: Spill what does not fit in ``memory_limit`` to a private directory made
            inside this one (e.g. ``<root>/tmp``), removed by :meth:`close`. Queries may then
            read and write files in that private directory (nowhere else). Default: no spill.
    """

    def __init__(
        self,
        bundle: Bundle,
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
        spill_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.bundle = bundle
        self._sources = load_sources(bundle)
        self._spill: Path | None = None
        if spill_dir is not None:
            Path(spill_dir).mkdir(parents=True, exist_ok=True)
            self._spill = Path(tempfile.mkdtemp(prefix="sql-spill-", dir=spill_dir))
        try:
            self._root = open_sandbox(
                build_catalog(self._sources),
                threads=threads,
                memory_limit=memory_limit,
                spill_dir=self._spill,
            )
        except BaseException:
            self._remove_spill()
            raise
        self._local = threading.local()
        self._lock = threading.Lock()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"BundleSQL({self.bundle!r})"

    def __enter__(self) -> BundleSQL:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ connections
    def new_cursor(self) -> duckdb.DuckDBPyConnection:
        """A new DuckDB cursor with the bar sources registered (one per thread or session)."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self!r} is closed")
            cur = self._root.cursor()
            self._cursors.append(cur)
        self._sources.register(cur)
        return cur

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (created on first use). Never share it between threads."""
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self.new_cursor()
            self._local.cursor = cur
        return cur

    def session(self) -> SQLSession:
        """A private cursor whose TEMP tables, views and macros last until the session closes.

        Outside a session each call is on its own: what a query creates (``CREATE TEMP ...``)
        is gone when the call returns, so it can never change a later query's results::

            with engine.session() as s:
                s.query("CREATE TEMP TABLE top AS SELECT sid FROM assets LIMIT 10")
                s.query("SELECT * FROM daily_bars JOIN top USING (sid)")
        """
        return SQLSession(self, self.new_cursor())

    def _cursor_for(
        self, query: str, cursor: duckdb.DuckDBPyConnection | None
    ) -> tuple[duckdb.DuckDBPyConnection, bool]:
        """The cursor a call runs on, and whether it is a scratch cursor to release afterwards.

        Plain reads (every statement a SELECT or EXPLAIN, as DuckDB's parser says) run on the
        thread's cursor; anything else (``CREATE TEMP``, ``PREPARE``...) on a fresh cursor
        closed after the call, so nothing a call creates outlives it. With ``cursor`` (a
        session) the caller chose the lifetime.
        """
        self.bundle.check_present()  # a version removed by `clean`: say so, not read nothing
        if cursor is not None:
            return cursor, False
        try:
            kinds = {st.type for st in duckdb.extract_statements(query)}
        except duckdb.Error as exc:
            raise translate_error(exc, query, self.relations, self.bundle.name) from exc
        if kinds <= _READ_STATEMENTS:
            return self.cursor(), False
        return self.new_cursor(), True

    def _error(self, exc: duckdb.Error, query: str, deadline: Deadline) -> SQLError:
        timed_out = deadline.error(exc, query)
        if timed_out is not None:
            return timed_out
        self.bundle.check_present()  # removed mid-query: BundleVersionRemoved, not an IOError
        return translate_error(exc, query, self.relations, self.bundle.name)

    def _release(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Close a cursor from :meth:`new_cursor` (a scratch cursor or a session's)."""
        with self._lock:
            if cur not in self._cursors:
                return
            self._cursors.remove(cur)
        for _ in range(100):  # an interrupted query may still be winding down
            try:
                cur.close()
                return
            except duckdb.Error:
                cur.interrupt()
                gc.collect()  # a dropped result still holding the cursor
                time.sleep(0.01)
        cur.close()

    def close(self) -> None:
        """Close every cursor and the database."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for cur in self._cursors:
                cur.close()
            self._root.close()
        self._remove_spill()

    def _remove_spill(self) -> None:
        if self._spill is not None:
            shutil.rmtree(self._spill, ignore_errors=True)

    # ------------------------------------------------------------------ queries
    @property
    def relations(self) -> list[str]:
        """Names of the relations (views and tables) queries can use."""
        return list(PUBLIC_RELATIONS)

    def query(
        self,
        query: str,
        params: Params = None,
        *,
        cursor: duckdb.DuckDBPyConnection | None = None,
        timeout: float | None = None,
    ) -> SQLResult:
        """Run SQL and return the (last statement's) result.

        Args:
            query: SQL text; one or more statements.
            params: Values for ``?`` (sequence) or ``$name`` (mapping) placeholders.
            cursor: Run on this cursor instead of the thread's own (e.g. an interactive session;
                prefer :meth:`session`).
            timeout: Seconds after which the query is interrupted (None: no limit).

        What the call creates (``CREATE TEMP TABLE``/``VIEW``/``MACRO``...) is visible to its
        later statements and gone when it returns; use :meth:`session` to keep it.

        Raises:
            SQLAccessDenied: The sandbox refused it (writes, files, ATTACH, extensions, SET).
            SQLQueryError: DuckDB rejected it; the message lists the available relations.
            SQLTimeout: It ran past ``timeout`` and was interrupted.
            BundleVersionRemoved: The bundle version was removed (``clean``).
        """
        check_timeout(timeout)
        cur, scratch = self._cursor_for(query, cursor)
        deadline = Deadline(cur, timeout)
        try:
            # DuckDB answers every statement with a relation (DDL gives 'Count'/'Success').
            rel = cur.sql(query) if params is None else cur.sql(query, params=params)
            return SQLResult(rel.to_arrow_table())
        except duckdb.Error as exc:
            raise self._error(exc, query, deadline) from exc
        finally:
            deadline.cancel()
            if scratch:
                self._release(cur)

    __call__ = query

    def stream(
        self,
        query: str,
        params: Params = None,
        *,
        batch_rows: int = 65_536,
        cursor: duckdb.DuckDBPyConnection | None = None,
        timeout: float | None = None,
    ) -> pa.RecordBatchReader:
        """Run SQL and read its result batch by batch, never holding it whole.

        DuckDB produces the rows as they are read, so a caller that stops early (e.g. after the
        first 100 rows) or writes each batch out keeps about one batch in memory. Read the
        reader to its end (or drop it) before running another query on the same cursor.

        Args:
            query: SQL text, as for :meth:`query`.
            params: Values for ``?`` (sequence) or ``$name`` (mapping) placeholders.
            batch_rows: Rows per batch (at most).
            cursor: Run on this cursor instead of the thread's own.
            timeout: Seconds after which the query is interrupted, reading included.

        Raises:
            SQLAccessDenied: The sandbox refused it (also while reading batches).
            SQLQueryError: DuckDB rejected it (also while reading batches).
            SQLTimeout: It ran past ``timeout`` (also while reading batches).
        """
        check_timeout(timeout)
        cur, scratch = self._cursor_for(query, cursor)
        deadline = Deadline(cur, timeout)

        def done() -> None:
            deadline.cancel()
            if scratch:
                self._release(cur)

        try:
            rel = cur.sql(query) if params is None else cur.sql(query, params=params)
            if rel is None:  # a statement without a result
                done()
                return pa.RecordBatchReader.from_batches(pa.schema([]), [])
            reader = rel.to_arrow_reader(batch_rows)
        except duckdb.Error as exc:
            done()
            raise self._error(exc, query, deadline) from exc

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                yield from reader
            except (duckdb.Error, pa.ArrowException, OSError) as exc:
                # an error while DuckDB produces rows crosses the Arrow C stream as OSError
                err = exc if isinstance(exc, duckdb.Error) else duckdb.Error(str(exc))
                raise self._error(err, query, deadline) from exc
            finally:  # read to the end, failed or dropped: the timer and a scratch cursor go
                done()

        return pa.RecordBatchReader.from_batches(reader.schema, batches())

    def schema(self, relation: str) -> list[tuple[str, str]]:
        """``(column, DuckDB type)`` pairs of a relation, in order."""
        if relation not in PUBLIC_RELATIONS:
            raise SQLQueryError(
                f"no relation {relation!r}; available: {', '.join(self.relations)}",
                query=relation,
                duckdb_message="",
            )
        rows = self.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_schema = 'main' AND table_name = ? "
            "ORDER BY ordinal_position",
            [CATALOG, relation],
        ).arrow()
        names, types = rows["column_name"].to_pylist(), rows["data_type"].to_pylist()
        return list(zip(names, types, strict=True))

    # ------------------------------------------------------------------ helpers
    def rolling(
        self,
        window: int,
        field: str = "close",
        *,
        stats: Sequence[str] = ("mean", "std"),
        sids: Sequence[int] | None = None,
        start: Any = None,
        end: Any = None,
        adjusted: bool = True,
        perspective: str = "window_end",
        frequency: str = "daily",
    ) -> SQLResult:
        """Rolling statistics over the last ``window`` sessions (or market minutes) per asset.

        The window is the one ``history(asset, field, window, '1d', end_dt=date)`` sees:
        ``window`` sessions ending at ``date`` (halted sessions count and are skipped by the
        aggregates, like pandas' NaN handling), prices adjusted as seen from ``date``. With
        ``frequency='minute'`` it is ``history(..., '1m', end_dt=dt)``: ``window`` market
        minutes (from the ``sessions`` opens/closes; minutes without a bar are missing),
        adjusted as seen from ``dt``'s session.

        Args:
            window: Number of sessions (≥ 1).
            field: ``open``, ``high``, ``low``, ``close`` or ``volume``.
            stats: Any of ``mean``, ``std`` (sample), ``min``, ``max``, ``sum``, ``returns``
                (``value[t] / value[t - window] - 1``).
            sids: Restrict to these assets (bound as a parameter).
            start: First date of output rows (inclusive), date-like.
            end: Last date of output rows (inclusive), date-like.
            adjusted: Apply splits/mergers/dividends (volume: splits only).
            perspective: ``window_end`` (as history() at each date) or ``last_session`` (as in
                ``daily_bars_adjusted``).
            frequency: ``daily`` (rows per session) or ``minute`` (rows per market minute of
                the assets with minute bars; ``start``/``end`` are then UTC timestamps).

        Returns:
            Columns ``sid, date`` (or ``dt``)``, <field>, bars`` (bars present in the window)
            and one ``rolling_<stat>`` / ``returns`` column per stat.
        """
        text, params = rolling_sql(
            window, field, stats=stats, sids=sids, start=start, end=end,
            adjusted=adjusted, perspective=perspective, frequency=frequency,
        )  # fmt: skip
        return self.query(text, params)

    def asof_join(
        self,
        table: pa.Table | pd.DataFrame | Any,
        *,
        on: str = "date",
        by: str = "sid",
        fields: Sequence[str] = ("close",),
        adjusted: bool = True,
    ) -> SQLResult:
        """Attach to each row of ``table`` the last daily bar of its asset on or before ``on``.

        Prices are adjusted as seen from the row's date (zipline's ``price`` rule: an older bar
        is scaled by the adjustments between it and the row's date).

        Args:
            table: pandas / Polars DataFrame or pyarrow Table with an asset column and a date.
            on: Date column of ``table`` (DATE or timestamp; cast to DATE).
            by: Sid column of ``table``.
            fields: Bar fields to attach (``open``, ``high``, ``low``, ``close``, ``volume``).
            adjusted: Adjust older bars to the row's date.

        Returns:
            ``table``'s columns plus ``bar_date`` and the fields (NULL when no bar precedes).
        """
        arrow = _to_arrow(table)
        arrow = arrow.append_column("_rb_row", pa.array(range(arrow.num_rows), type=pa.int64()))
        name = f"_rb_user_{threading.get_ident()}"
        text = asof_join_sql(name, arrow.column_names, on=on, by=by, fields=fields,
                             adjusted=adjusted)  # fmt: skip
        cur = self.cursor()
        cur.register(name, arrow)
        try:
            return self.query(text, cursor=cur)
        finally:
            cur.unregister(name)


def _to_arrow(table: Any) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if hasattr(table, "to_arrow"):  # polars
        return table.to_arrow()
    return pa.Table.from_pandas(table, preserve_index=False)


_CACHE_SIZE = 8
_CACHE: LRU[tuple[int, str, str], BundleSQL] = LRU(_CACHE_SIZE)  # the oldest closes when unused
_CACHE_LOCK = threading.Lock()


def bundle_sql(bundle: Bundle) -> BundleSQL:
    """The process-wide :class:`BundleSQL` of a bundle version (created once, then reused)."""
    key = (os.getpid(), str(bundle.path), bundle.version)
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is None or found._closed:
            found = BundleSQL(bundle)
            _CACHE.put(key, found)
        return found


def sql(
    bundle: Bundle, query: str, params: Params = None, *, timeout: float | None = None
) -> SQLResult:
    """Run read-only SQL against a bundle; parameters are bound by DuckDB.

    Args:
        bundle: The bundle version.
        query: SQL over the bundle's relations (``daily_bars``, ``daily_bars_adjusted``, ...).
        params: A sequence for ``?`` placeholders or a mapping for ``$name`` placeholders.
        timeout: Seconds after which the query is interrupted (raises :class:`SQLTimeout`).

    Returns:
        A result with ``.arrow()``, ``.pl()`` and ``.df()``.
    """
    return bundle_sql(bundle).query(query, params, timeout=timeout)
