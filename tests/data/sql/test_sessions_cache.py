"""The SQL layer's cached sessions table is keyed on the bundle version: a wrong file is rebuilt."""

from __future__ import annotations

import datetime
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rustybt import Bundle, BundleSQL
from rustybt._fs import TMP_PREFIX
from rustybt.data.sql.views import SESSIONS_CACHE
from rustybt.testing import make_bundle, random_spec


def _ok(bundle: Bundle) -> bool:
    """Whether SQL's ``sessions`` are the bundle's: every session with its open and close."""
    with BundleSQL(bundle, threads=1) as engine:
        got = engine.query("SELECT session, open, close FROM sessions ORDER BY session").arrow()
    sched = bundle.calendar.schedule.loc[bundle.sessions]
    return (
        pd.DatetimeIndex(got["session"].to_pandas()).equals(pd.DatetimeIndex(bundle.sessions))
        and got["open"].to_pylist() == list(sched["open"])
        and got["close"].to_pylist() == list(sched["close"])
    )


def _cache(bundle: Bundle) -> Path:
    return bundle.cache_dir / "sql" / SESSIONS_CACHE


@pytest.fixture
def two(tmp_path: Path) -> tuple[Bundle, Bundle]:
    a = make_bundle(tmp_path / "a", random_spec(seed=1, n_assets=1, n_sessions=12), name="a")
    b = make_bundle(tmp_path / "b", random_spec(seed=2, n_assets=1, n_sessions=20,
                                                first_session="2022-03-01"), name="b")
    for bundle in (a, b):
        assert _ok(bundle)  # caches written
    return a, b


def test_another_versions_cache_file_is_rebuilt(two: tuple[Bundle, Bundle]) -> None:
    a, b = two
    shutil.copyfile(_cache(b), _cache(a))
    assert _ok(a)
    meta = pq.read_schema(_cache(a)).metadata
    assert meta[b"rustybt.bundle_version"] == a.version.encode()  # rewritten for a


def test_an_edited_or_unkeyed_cache_file_is_rebuilt(two: tuple[Bundle, Bundle]) -> None:
    a, _ = two
    good = pq.read_table(_cache(a))
    pq.write_table(good.slice(0, good.num_rows - 1), _cache(a))  # metadata kept, a row lost
    assert _ok(a)
    pq.write_table(good.replace_schema_metadata(None), _cache(a))  # as older rustybt wrote it
    assert _ok(a)
    assert pq.read_schema(_cache(a)).metadata[b"rustybt.bundle_version"] == a.version.encode()
    opens = good.column("open").to_pylist()
    opens[3] += datetime.timedelta(hours=1)  # metadata and first/last session kept, one open moved
    pq.write_table(good.set_column(1, "open", pa.array(opens, good.schema.field("open").type)),
                   _cache(a))
    assert _ok(a)


def test_a_killed_writers_temp_file_is_swept(two: tuple[Bundle, Bundle]) -> None:
    a, _ = two
    stale = _cache(a).with_name(f"{TMP_PREFIX}{SESSIONS_CACHE}-4242-{uuid.uuid4().hex}")
    stale.write_bytes(b"partial")
    assert _ok(a)
    assert not stale.exists()
