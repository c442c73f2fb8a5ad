"""Errors of bundle SQL, named for what happened."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

__all__ = ["SQLAccessDenied", "SQLError", "SQLQueryError", "translate_error"]

# DuckDB's wording when the sandbox refuses something (checked on its messages, not on SQL).
_REFUSALS = (
    "read-only mode",
    "configuration has been locked",
    "disabled by configuration",
    "disabled through configuration",
)


class SQLError(Exception):
    """Base class of bundle SQL errors.

    Attributes:
        query: The SQL text that failed.
        duckdb_message: DuckDB's own message.
    """

    def __init__(self, message: str, *, query: str, duckdb_message: str) -> None:
        super().__init__(message)
        self.query = query
        self.duckdb_message = duckdb_message


class SQLQueryError(SQLError, ValueError):
    """The query is not valid SQL for these relations (syntax, unknown column, bad type...)."""


class SQLAccessDenied(SQLError, PermissionError):
    """The sandbox refused the query: it would write, reach outside the bundle or unlock it."""


def translate_error(
    exc: duckdb.Error, query: str, relations: Iterable[str], bundle: str
) -> SQLError:
    """Wrap a DuckDB error: refusals → SQLAccessDenied, others → SQLQueryError with the views."""
    msg = str(exc)
    names = ", ".join(relations)
    if isinstance(exc, duckdb.PermissionException) or any(r in msg for r in _REFUSALS):
        return SQLAccessDenied(
            f"refused by the read-only SQL sandbox of bundle {bundle}: {msg}\n"
            "Bundle SQL can only read the bundle's relations: no writes, files, ATTACH, "
            "extensions or settings.",
            query=query,
            duckdb_message=msg,
        )
    return SQLQueryError(
        f"{msg}\nAvailable relations in bundle {bundle}: {names}", query=query, duckdb_message=msg
    )
