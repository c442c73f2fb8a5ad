"""The sandbox: every escape attempt is refused, the bundle is unchanged, bad SQL is explained."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

import rustybt
from rustybt import Bundle, BundleSQL, SQLAccessDenied, SQLError, SQLQueryError
from rustybt.data.sql.window import rolling_sql


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
    # Was: TEMP tables created by one query() lasted for the thread's later queries. Now they
    # last only in a session (issue 9); the privacy between threads is unchanged.
    with BundleSQL(small_bundle) as s, s.session() as session:
        session.query(
            "CREATE TEMP TABLE mine AS SELECT sid, max(close) AS m FROM daily_bars GROUP BY 1"
        )
        assert len(session.query("SELECT * FROM mine")) == 2
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
        with pytest.raises(SQLQueryError, match="mine"):
            s.query("SELECT * FROM mine")  # nor does this thread outside the session
    small_bundle.verify()


SHADOWS = [
    "CREATE TEMP VIEW daily_bars AS "
    "SELECT sid, date, open, high, low, close * 2 AS close, volume FROM bundle.main.daily_bars",
    "CREATE TEMP TABLE splits AS SELECT * FROM bundle.main.splits WHERE false",
    "CREATE TEMP TABLE dividends AS SELECT * FROM bundle.main.dividends WHERE false",
    "CREATE TEMP TABLE sessions AS SELECT * FROM bundle.main.sessions WHERE false",
    "CREATE TEMP VIEW _rb_price_factors AS "
    "SELECT 1 AS sid, DATE '2100-01-01' AS eff, 9.0 AS factor",
]


@pytest.mark.parametrize("shadow", SHADOWS)
def test_temp_objects_never_shadow_the_bundles_own_relations(
    small_bundle: Bundle, shadow: str
) -> None:
    """A user's TEMP object named like a bundle relation changes neither the adjusted views nor
    the helpers, in a session or in the same call; outside a session it is gone after the call."""
    adjusted = "SELECT * FROM daily_bars_adjusted ORDER BY sid, date"
    factors = "SELECT * FROM daily_adjustment_factors ORDER BY sid, date"
    rows = pa.table({"sid": [1, 2], "date": [dt.date(2021, 1, 15)] * 2})
    with BundleSQL(small_bundle) as s:
        want = [s.query(q).arrow() for q in (adjusted, factors)]
        want_rolling = s.rolling(3, stats=("mean", "returns")).arrow()
        want_asof = s.asof_join(rows).arrow()
        assert len(want_rolling) == 60
        with s.session() as session:
            session.query(shadow)
            assert [session.query(q).arrow() for q in (adjusted, factors)] == want
            assert session.query(*rolling_sql(3, stats=("mean", "returns"))).arrow() == (
                want_rolling
            )
        # In one call: the view exists for that call's later statements only.
        got = s.query(f"{shadow}; {adjusted}").arrow()
        assert got == want[0]
        assert [s.query(q).arrow() for q in (adjusted, factors)] == want
        assert s.rolling(3, stats=("mean", "returns")).arrow() == want_rolling
        assert s.asof_join(rows).arrow() == want_asof
        # And it did not outlive the call: the names mean the bundle's relations again.
        assert s.query("SELECT count(*) FROM splits").fetchall() == [(1,)]
        assert s.query("SELECT count(*) FROM sessions").fetchall()[0][0] >= 30
        assert s.query("SELECT max(close) FROM daily_bars").fetchall() == (
            s.query("SELECT max(close) FROM bundle.rb.daily_bars").fetchall()
        )
    small_bundle.verify()


def test_temp_objects_in_a_session_do_not_reach_rolling_or_the_thread(small_bundle: Bundle) -> None:
    with BundleSQL(small_bundle) as s:
        want = s.rolling(3).arrow()
        with s.session() as session:
            session.query(
                "CREATE TEMP TABLE sessions AS SELECT * FROM bundle.main.sessions LIMIT 0"
            )
            assert session.query("SELECT count(*) FROM sessions").fetchall() == [(0,)]
            assert len(want) == 60 and s.rolling(3).arrow() == want
            assert s.query("SELECT count(*) FROM sessions").fetchall() != [(0,)]
        # Closing the session drops it (and its cursor); closing twice is harmless.
        session.close()
        with pytest.raises(SQLError):
            session.query("SELECT 1")


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


# A query that would run for hours: a scan of 10^12 generated rows.
RUNAWAY = "SELECT max(hash(range)) FROM range(1000000000000)"


def test_timeout_interrupts_a_runaway_query(small_bundle: Bundle) -> None:
    import time

    from rustybt.errors import SQLTimeout

    with BundleSQL(small_bundle, threads=2) as s:
        for run in (
            lambda: s.query(RUNAWAY, timeout=0.2),
            lambda: s.stream(RUNAWAY, timeout=0.2).read_all(),
            lambda: rustybt.sql(small_bundle, RUNAWAY, timeout=0.2),
        ):
            t0 = time.perf_counter()
            with pytest.raises(SQLTimeout, match=r"timeout of 0\.2 s") as info:
                run()
            assert time.perf_counter() - t0 < 3.0
            assert isinstance(info.value, TimeoutError) and isinstance(info.value, SQLError)
            assert info.value.timeout == 0.2 and info.value.query == RUNAWAY
        with s.session() as session, pytest.raises(SQLTimeout):
            session.query(RUNAWAY, timeout=0.1)
        # The cursor is usable at once, and a generous timeout changes nothing.
        assert s.query("SELECT count(*) FROM daily_bars", timeout=30).fetchall() == [(58,)]
        # A plain error under a timeout stays a plain error.
        with pytest.raises(SQLQueryError):
            s.query("SELECT nope FROM daily_bars", timeout=30)
        for bad in (0, -1, float("nan"), float("inf")):
            with pytest.raises(ValueError, match="timeout"):
                s.query("SELECT 1", timeout=bad)
        with pytest.raises(TypeError, match="timeout"):
            s.query("SELECT 1", timeout="1")  # type: ignore[arg-type]


def test_memory_limit_and_spill_inside_the_root(small_bundle: Bundle, tmp_path: Path) -> None:
    big_sort = (
        "SELECT sum(x) FROM (SELECT range * 7 % 1000003 AS x FROM range(30000000) ORDER BY x)"
    )
    with BundleSQL(small_bundle, threads=2, memory_limit="100MB") as s:
        assert s.query("SELECT current_setting('memory_limit')").fetchall() == [("95.3 MiB",)]
        with pytest.raises(SQLError, match=r"(?i)memory|disabled"):
            s.query(big_sort)
        with pytest.raises(SQLAccessDenied):
            s.query("SET memory_limit = '10GB'")  # locked after it was set
    spill = tmp_path / "root" / "tmp"
    with BundleSQL(small_bundle, threads=2, memory_limit="100MB", spill_dir=spill) as s:
        assert s.query(big_sort).fetchall() == [(14999985028485,)]
        (private,) = list(spill.iterdir())
        assert private.name.startswith("sql-spill-")
        # Outside the private spill directory files stay out of reach.
        with pytest.raises(SQLAccessDenied):
            s.query(f"COPY (SELECT 1) TO '{tmp_path}/x.csv'")
        with pytest.raises(SQLAccessDenied):
            s.query("SELECT * FROM read_text('/etc/hostname')")
    assert list(spill.iterdir()) == []  # removed on close
    small_bundle.verify()
