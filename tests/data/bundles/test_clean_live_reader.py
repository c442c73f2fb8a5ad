"""Readers of a version that ``clean`` removes: they keep working (the mapped portal) or raise
``BundleVersionRemoved`` naming the version; never an empty result."""

from __future__ import annotations

import numpy as np
import pytest

from rustybt import (
    ArrowDataPortal,
    BundleCorrupted,
    BundleSQL,
    BundleVersionNotFound,
    BundleVersionRemoved,
    clean,
    sql,
)
from rustybt.data.bundles.sources import synthetic_ingest


@pytest.fixture
def removed(ingest_source, root):
    """``(old, new)``: ``old`` is a loaded version that ``clean`` removed after ``new``."""

    def make(**kwargs):
        old = ingest_source(synthetic_ingest(2, 0.05, seed=1, **kwargs), name="lr")
        new = ingest_source(synthetic_ingest(2, 0.05, seed=2, **kwargs), name="lr")
        return old, new

    return make


def _clean(root, old):
    assert clean("lr", keep=1, root=root) == [old.path.name]
    assert not old.path.exists()


def test_bundle_readers_raise_version_removed(removed, root):
    old, _ = removed()
    assert len(old.read_daily(0)) > 0
    assert old.read_daily(99).empty  # no bar file in the manifest: empty, version present
    _clean(root, old)
    readers = [
        lambda: old.read_daily(0),
        lambda: old.read_daily(99),  # even a sid without bars: the version is gone
        lambda: old.read_minute(0),
        lambda: old.read_assets(),
        lambda: old.read_splits(),
        lambda: old.sids_with_bars("daily"),
        lambda: old.asset_finder,
        lambda: old.verify(),
    ]
    for read in readers:
        with pytest.raises(BundleVersionRemoved, match=old.path.name) as info:
            read()
        assert "clean" in str(info.value) and "'lr'" in str(info.value)
        assert isinstance(info.value, BundleVersionNotFound | FileNotFoundError)
        assert info.value.version == old.version


def test_a_missing_bar_file_of_a_present_version_is_corrupted_not_empty(removed):
    old, _ = removed()
    (old.path / "daily" / "0.parquet").unlink()
    with pytest.raises(BundleCorrupted, match=r"daily/0\.parquet is listed in the manifest"):
        old.read_daily(0)


def test_an_open_portal_keeps_serving_a_removed_version(removed, root):
    old, _ = removed(minute=True)
    portal = ArrowDataPortal(old)
    end = old.last_session
    daily = np.array(portal.history(0, "close", 5, end_dt=end))
    last_minute = old.calendar.session_close(end)
    minute = np.array(portal.history(0, "close", 5, frequency="1m", end_dt=last_minute))
    assert not np.isnan(minute).all()  # the minute store is mapped before the clean
    _clean(root, old)
    assert not old.cache_dir.exists()  # its mapped files are unlinked, still mapped here
    np.testing.assert_array_equal(portal.history(0, "close", 5, end_dt=end), daily)
    np.testing.assert_array_equal(
        portal.history(0, "close", 5, frequency="1m", end_dt=last_minute), minute
    )
    with pytest.raises(BundleVersionRemoved, match=old.path.name):
        ArrowDataPortal(old)


def test_a_portal_building_minutes_after_the_clean_raises(removed, root):
    old, _ = removed(minute=True)
    portal = ArrowDataPortal(old)  # daily mapped; the minute store is built on first use
    _clean(root, old)
    last_minute = old.calendar.session_close(old.last_session)
    with pytest.raises(BundleVersionRemoved, match=old.path.name):
        portal.history(0, "close", 5, frequency="1m", end_dt=last_minute)


def test_sql_on_a_removed_version_raises(removed, root):
    old, new = removed()
    engine = BundleSQL(old)
    count = "SELECT count(*) AS n FROM daily_bars"
    assert engine.query(count).arrow()["n"][0].as_py() > 0
    assert sql(old, count).arrow()["n"][0].as_py() > 0  # the process-wide engine
    _clean(root, old)
    for run in (
        lambda: engine.query(count),
        lambda: engine.query("SELECT * FROM assets"),  # in memory, but of a removed version
        lambda: engine.stream(count).read_all(),
        lambda: sql(old, count),
        lambda: BundleSQL(old),
    ):
        with pytest.raises(BundleVersionRemoved, match=old.path.name):
            run()
    engine.close()
    assert sql(new, count).arrow()["n"][0].as_py() > 0


def test_sql_cli_reports_a_removed_version(removed, root, capsys):
    import argparse
    import io

    from rustybt.cli._sql import _query, interactive

    old, _ = removed()
    engine = BundleSQL(old)
    _clean(root, old)
    out = io.StringIO()
    assert interactive(engine, io.StringIO("SELECT 1;\nSELECT 2;\n"), out) == 0
    assert out.getvalue().count(f"error: bundle 'lr' version {old.version[:12]}") == 2
    args = argparse.Namespace(query="SELECT 1", param=None, timeout=None, format="table",
                              output=None, max_rows=10)
    assert _query(args, engine) == 1
    err = capsys.readouterr().err
    assert "was removed" in err and "cannot write" not in err
    engine.close()
