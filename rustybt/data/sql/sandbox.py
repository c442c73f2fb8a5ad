"""The DuckDB sandbox behind :mod:`rustybt.data.sql.engine`: read-only and confined.

Safety comes from DuckDB's own settings, never from inspecting SQL text:

1. The views live in a small DuckDB *catalog file* written to a private temporary directory,
   then reopened with ``read_only=True``: ``CREATE TABLE``, ``DROP``, ``INSERT`` and friends on
   the main database fail with DuckDB's "attached in read-only mode" error.
2. Bundle data reaches DuckDB only as registered pyarrow datasets, read by pyarrow; DuckDB
   itself is never given a path, so it needs no file access at all.
3. ``enable_external_access=false`` (no file readers/writers, no ``ATTACH`` of files, no
   ``INSTALL``/``LOAD``, no Python replacement scans), ``disabled_filesystems='LocalFileSystem'``
   (not even the catalog file's own ``.wal`` can be written), ``temp_directory=''`` (no spill
   files), extension autoload/autoinstall and community extensions off.
4. ``lock_configuration=true`` last, so no ``SET``/``RESET``/``PRAGMA`` can undo any of it.

After opening, the private directory is deleted; the open database keeps its catalog in
memory. Each connection may still create ``TEMP`` tables and views (memory only, private to
that connection, gone when it closes): a scratch space that cannot reach the bundle. The
bundle's relations live in schema ``rb`` of the catalog (``main`` holds the names users query),
so no TEMP object can shadow what the bundle's own views and helpers read; and
:class:`~rustybt.data.sql.engine.BundleSQL` runs any statement that could create one on a
cursor of its own, closed after the call, unless the user opened a session.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

__all__ = ["CATALOG", "LOCKED_SETTINGS", "open_sandbox"]

CATALOG = "bundle"
"""Name of the read-only catalog (database) holding the bundle's relations.

Users query ``bundle.main.<name>`` (or just ``<name>``); internal views and helper SQL read
``bundle.rb.<name>`` (see :data:`rustybt.data.sql.views.INTERNAL_SCHEMA`).
"""

# Settings given when the read-only database starts.
_STARTUP_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "temp_directory": "",
    # Performance, not safety: with a small right side DuckDB 2.0 turns ASOF joins into a
    # nested loop (3.1 s instead of 0.25 s for daily_bars_adjusted on 500 assets × 10 years).
    "asof_loop_join_threshold": 0,
}

# Applied in this order after the catalog is loaded (the order matters: once the local file
# system is disabled, DuckDB refuses to change enable_external_access).
LOCKED_SETTINGS: tuple[tuple[str, str], ...] = (
    ("enable_external_access", "false"),
    ("disabled_filesystems", "'LocalFileSystem'"),
    ("lock_configuration", "true"),
)


def open_sandbox(
    build: Callable[[duckdb.DuckDBPyConnection], None],
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    spill_dir: Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """Build a catalog with ``build(connection)``, reopen it read-only and lock it down.

    Args:
        build: Creates the views (and small tables) on a writable connection. It may register
            Python objects; views referring to them are re-bound at query time, so every
            connection that queries must register the same names.
        threads: DuckDB worker threads (default: DuckDB's default, the core count).
        memory_limit: DuckDB's ``memory_limit`` (e.g. ``'2GB'``; default 80 % of RAM).
        spill_dir: An existing private directory where DuckDB may spill what does not fit in
            ``memory_limit``. The local file system then stays enabled, and DuckDB lets
            queries read and write files in that one directory (never elsewhere: external
            access stays off); without it nothing is ever written.

    Returns:
        The locked, read-only root connection. Use ``.cursor()`` per thread.
    """
    tmp = Path(tempfile.mkdtemp(prefix="rustybt-sql-"))
    try:
        path = tmp / f"{CATALOG}.duckdb"
        writer = duckdb.connect(str(path))
        try:
            build(writer)
        finally:
            writer.close()
        config: dict[str, str | bool | int | float | list[str]] = dict(_STARTUP_CONFIG)
        if threads is not None:
            config["threads"] = int(threads)
        if memory_limit is not None:
            config["memory_limit"] = str(memory_limit)
        if spill_dir is not None:
            config["temp_directory"] = str(spill_dir)
        con = duckdb.connect(str(path), read_only=True, config=config)
        for name, value in LOCKED_SETTINGS:  # all set before the lock, the lock last
            if name == "disabled_filesystems" and spill_dir is not None:
                continue  # spilling writes through the local file system
            con.execute(f"SET {name} = {value}")
        return con
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
