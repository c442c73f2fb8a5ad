"""The sandbox: every escape attempt is refused, the bundle is unchanged, bad SQL is explained."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import duckdb
import pytest

import rustybt
from rustybt import Bundle, BundleSQL, SQLAccessDenied, SQLError, SQLQueryError


def _snapshot(root: Path) -> dict[str, str]:
    """SHA256 of every file under root (new, changed and removed files all show)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".cache" not in p.parts
    }


ESCAPES = [
    "COPY daily_bars TO '{out}/stolen.csv'",
    "COPY (SELECT 1 AS x) TO '{bundle}/daily/1.parquet' (FORMAT parquet)",
    "COPY (SELECT 1 AS x) TO '{bundle}/evil.csv'",
    "ATTACH '{out}/evil.duckdb' AS evil",
    "ATTACH '{bundle}/evil.duckdb' AS evil",
    "ATTACH ':memory:' AS scratch",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_parquet('{bundle}/daily/1.parquet')",
    "SELECT * FROM '{bundle}/assets.parquet'",
    "SELECT * FROM glob('/etc/*')",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "RESET lock_configuration",
    "SET disabled_filesystems = ''",
    "SET allowed_directories = ['/']",
    "SET temp_directory = '{out}'",
    "PRAGMA enable_profiling",
    "CREATE TABLE persisted AS SELECT * FROM daily_bars",
    "CREATE VIEW evil AS SELECT 1",
    "CREATE OR REPLACE VIEW daily_bars AS SELECT 1 AS x",
    "DROP VIEW daily_bars_adjusted",
    "DROP TABLE assets",
    "INSERT INTO splits VALUES (1, DATE '2021-01-05', 10.0)",
    "UPDATE dividends SET ratio = 2.0",
    "DELETE FROM assets",
    "EXPORT DATABASE '{out}/export'",
    "EXPORT DATABASE '{bundle}/export'",
]


@pytest.fixture
def sandbox(small_bundle: Bundle) -> BundleSQL:
    s = BundleSQL(small_bundle)
    yield s  # type: ignore[misc]
    s.close()


@pytest.mark.parametrize("template", ESCAPES)
def test_escape_is_refused_and_bundle_unchanged(
    sandbox: BundleSQL, small_bundle: Bundle, tmp_path: Path, template: str
) -> None:
    out = tmp_path / "outside"
    out.mkdir()
    bundle_root = small_bundle.path.parent
    before = _snapshot(bundle_root)
    query = template.format(out=out, bundle=small_bundle.path)
    with pytest.raises(SQLAccessDenied) as info:
        sandbox.query(query)
    assert "refused by the read-only SQL sandbox" in str(info.value)
    assert info.value.query == query
    assert info.value.duckdb_message  # DuckDB's own words are kept
    assert list(out.iterdir()) == []
    assert _snapshot(bundle_root) == before
    small_bundle.verify()
    # The sandbox still works and its relations are intact.
    assert sandbox.query("SELECT count(*) FROM daily_bars").fetchall() == [(58,)]
    assert sandbox.query("SELECT count(*) FROM assets").fetchall() == [(2,)]


def test_all_escapes_in_one_session_leave_the_bundle_hash(small_bundle: Bundle) -> None:
    version = small_bundle.version
    refused = 0
    with BundleSQL(small_bundle) as s:
        for template in ESCAPES:
            try:
                s.query(template.format(out="/tmp", bundle=small_bundle.path))
            except SQLAccessDenied:
                refused += 1
    assert refused == len(ESCAPES) >= 10
    small_bundle.verify()
    assert Bundle(small_bundle.path).version == version


def test_bad_sql_gives_duckdb_message_and_relations(small_bundle: Bundle) -> None:
    with pytest.raises(SQLQueryError) as info:
        rustybt.sql(small_bundle, "SELEC close FROM daily_bars")
    msg = str(info.value)
    assert "syntax error" in msg.lower()
    for name in ("daily_bars", "daily_bars_adjusted", "minute_bars", "sessions", "dividends"):
        assert name in msg
    with pytest.raises(SQLQueryError, match="Available relations"):
        rustybt.sql(small_bundle, "SELECT * FROM no_such_view")
    with pytest.raises(SQLError, match="Binder Error"):
        rustybt.sql(small_bundle, "SELECT nope FROM daily_bars")
    assert isinstance(info.value, ValueError)


def test_temp_tables_are_private_scratch(small_bundle: Bundle) -> None:
    with BundleSQL(small_bundle) as s:
        s.query("CREATE TEMP TABLE mine AS SELECT sid, max(close) AS m FROM daily_bars GROUP BY 1")
        assert len(s.query("SELECT * FROM mine")) == 2
        seen: list[BaseException] = []

        def other_thread() -> None:
            try:
                s.query("SELECT * FROM mine")
            except SQLQueryError as exc:
                seen.append(exc)

        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
        assert len(seen) == 1  # another thread's cursor does not see it
    small_bundle.verify()


def test_schema_of_unknown_relation(small_bundle: Bundle) -> None:
    with BundleSQL(small_bundle) as s, pytest.raises(SQLQueryError, match="no relation"):
        s.schema("nope")


def test_python_variables_are_not_scanned(sandbox: BundleSQL) -> None:
    import pandas as pd

    secret_frame = pd.DataFrame({"password": ["hunter2"]})
    assert len(secret_frame) == 1
    with pytest.raises(SQLQueryError, match="secret_frame") as info:
        sandbox.query("SELECT * FROM secret_frame")
    assert "hunter2" not in str(info.value)
    # Even on the raw cursor, from the frame that holds the variable, DuckDB does not scan it.
    with pytest.raises(duckdb.Error, match="secret_frame"):
        sandbox.cursor().sql("SELECT * FROM secret_frame").fetchall()
    plain = duckdb.connect()  # control: an unlocked connection would read it
    assert plain.sql("SELECT * FROM secret_frame").fetchall() == [("hunter2",)]
