"""SQLSession: queries on one private cursor of a BundleSQL, whose TEMP objects persist.

Outside a session every :class:`~rustybt.data.sql.engine.BundleSQL` call is on its own (what it
creates is dropped when it returns); a session is the one way to keep TEMP tables, views and
macros across calls. It delegates every query to its engine with its own cursor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from rustybt.data.sql.result import SQLResult

if TYPE_CHECKING:
    from rustybt.data.sql.engine import BundleSQL

__all__ = ["Params", "SQLSession"]

Params = Sequence[Any] | Mapping[str, Any] | None
"""Query parameters: a sequence for ``?`` placeholders or a mapping for ``$name``."""


class SQLSession:
    """Queries on one private cursor of a :class:`BundleSQL` (from :meth:`BundleSQL.session`).

    TEMP tables, views and macros created in the session last until :meth:`close` (or the end
    of the ``with`` block). One thread at a time. The bundle's own views never read them.
    """

    def __init__(self, engine: BundleSQL, cursor: duckdb.DuckDBPyConnection) -> None:
        self.engine = engine
        self.cursor = cursor

    def __repr__(self) -> str:
        return f"SQLSession({self.engine.bundle!r})"

    def __enter__(self) -> SQLSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(
        self, query: str, params: Params = None, *, timeout: float | None = None
    ) -> SQLResult:
        """:meth:`BundleSQL.query` on the session's cursor."""
        return self.engine.query(query, params, cursor=self.cursor, timeout=timeout)

    __call__ = query

    def stream(
        self,
        query: str,
        params: Params = None,
        *,
        batch_rows: int = 65_536,
        timeout: float | None = None,
    ) -> pa.RecordBatchReader:
        """:meth:`BundleSQL.stream` on the session's cursor."""
        return self.engine.stream(
            query, params, batch_rows=batch_rows, cursor=self.cursor, timeout=timeout
        )

    def interrupt(self) -> None:
        """Stop the session's running query (from another thread or a signal handler)."""
        self.cursor.interrupt()

    def close(self) -> None:
        """Drop the session's TEMP objects (close its cursor); idempotent."""
        self.engine._release(self.cursor)
