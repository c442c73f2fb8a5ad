"""Translate DuckDB errors into rustybt's SQL errors (refusals vs bad queries)."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from rustybt.errors import SQLAccessDenied, SQLError, SQLQueryError

__all__ = ["translate_error"]

# DuckDB's wording when the sandbox refuses something (checked on its messages, not on SQL).
_REFUSALS = (
    "read-only mode",
    "configuration has been locked",
    "disabled by configuration",
    "disabled through configuration",
)


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
