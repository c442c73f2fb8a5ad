"""register / ingest / load / bundles / clean, versions and caches."""

from __future__ import annotations

import pandas as pd
import pytest

from rustybt import (
    Bundle,
    BundleCorrupted,
    BundleNotFound,
    BundleNotRegistered,
    BundleVersionNotFound,
    BundleWriter,
    bundle_root,
    bundles,
    clean,
    ingest,
    load,
    register,
    registered,
    unregister,
)
from rustybt.data.bundles.sources import synthetic_ingest


def test_root_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("RUSTYBT_ROOT", str(tmp_path / "env"))
    assert bundle_root() == tmp_path / "env"
    assert bundle_root(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv("RUSTYBT_ROOT")
    assert bundle_root().name == ".rustybt"


def test_register_as_decorator_and_unregister(root):
    @register("deco", calendar_name="XNYS", start_session="2024-01-02", end_session="2024-01-05")
    def fn(writer):
        writer.write_assets(pd.DataFrame({"sid": [0], "symbol": ["A"]}))
        writer.write_daily_bars(
            0,
            pd.DataFrame(
                {
                    "date": ["2024-01-03"],
                    "open": 1.0,
                    "high": 1.0,
                    "low": 1.0,
                    "close": 1.0,
                    "volume": 1,
                }
            ),
        )

    try:
        assert registered()["deco"].start_session == pd.Timestamp("2024-01-02")
        b = ingest("deco")  # root from RUSTYBT_ROOT
        assert (b.manifest.first_session, b.manifest.last_session) == ("2024-01-02", "2024-01-05")
        assert len(b.sessions) == 4
    finally:
        unregister("deco")
    with pytest.raises(BundleNotRegistered, match="no bundle registered as 'deco'"):
        ingest("deco")
    with pytest.raises(BundleNotRegistered):
        unregister("deco")


def test_register_uses_the_source_calendar_and_sessions(ingest_source):
    fn = synthetic_ingest(2, 0.1, calendar_name="XLON", end_session="2024-06-28")
    b = ingest_source(fn)
    assert b.calendar_name == "XLON" and b.manifest.last_session == "2024-06-28"
    assert b.manifest.first_session == str(fn.start_session.date())


def test_load_by_directory_or_hash_prefix_and_errors(ingest_source, root):
    a = ingest_source(synthetic_ingest(2, 0.1, seed=1), name="v")
    b = ingest_source(synthetic_ingest(2, 0.1, seed=2), name="v")
    assert load("v", root=root).path == b.path
    assert load("v", a.path.name, root=root).version == a.version
    assert load("v", a.version[:10], root=root).path == a.path
    with pytest.raises(BundleVersionNotFound, match="no version 'zzz'"):
        load("v", "zzz", root=root)
    with pytest.raises(BundleNotFound):
        load("never", root=root)
    with pytest.raises(BundleNotFound):
        load("never", "abc", root=root)
    assert repr(b).startswith("Bundle('v', version=")


def test_bundles_lists_versions_oldest_first(ingest_source, root):
    a = ingest_source(synthetic_ingest(2, 0.1, seed=1), name="l")
    b = ingest_source(synthetic_ingest(3, 0.1, seed=1), name="l")
    (info,) = [i for i in bundles(root) if i.name == "l"]
    assert [v.directory for v in info.versions] == [a.path.name, b.path.name]
    assert [v.current for v in info.versions] == [False, True]
    assert info.versions[1].asset_count == 3 and info.versions[1].bytes > 0
    assert info.versions[0].frequencies == ("daily",)


def test_clean_keeps_the_newest_n_and_the_current(ingest_source, root):
    made = [ingest_source(synthetic_ingest(2, 0.1, seed=s), name="c") for s in range(4)]
    for m in made:
        m.cache_dir.mkdir(parents=True)
        (m.cache_dir / "store.arrow").write_bytes(b"x")
    removed = clean("c", keep=2, root=root)
    assert removed == [made[0].path.name, made[1].path.name]
    left = [v.directory for v in next(i for i in bundles(root) if i.name == "c").versions]
    assert left == [made[2].path.name, made[3].path.name]
    assert not made[0].cache_dir.exists() and made[3].cache_dir.exists()
    load("c", root=root).verify()
    with pytest.raises(ValueError, match="keep"):
        clean("c", keep=0, root=root)
    with pytest.raises(BundleNotFound):
        clean("none", root=root)


def test_clean_never_removes_the_current_version(ingest_source, root):
    a = ingest_source(synthetic_ingest(2, 0.1, seed=1), name="p")
    ingest_source(synthetic_ingest(2, 0.1, seed=2), name="p")
    (root / "bundles" / "p" / "CURRENT").write_text(a.path.name + "\n")  # roll back by hand
    assert clean("p", keep=1, root=root) == []
    assert len(next(i for i in bundles(root) if i.name == "p").versions) == 2


def test_verify_detects_a_changed_file(ingest_source):
    b = ingest_source(synthetic_ingest(2, 0.1))
    path = b.path / "daily" / "0.parquet"
    path.write_bytes(path.read_bytes()[:-1] + b"\0")
    with pytest.raises(BundleCorrupted, match="does not match manifest"):
        b.verify()
    path.unlink()
    with pytest.raises(BundleCorrupted, match="missing"):
        b.verify()
    with pytest.raises(BundleCorrupted, match="not a bundle version"):
        Bundle(b.path / "daily")


def test_writer_misuse(tmp_path):
    w = BundleWriter(tmp_path / "w", name="w")
    w.write_assets(pd.DataFrame({"sid": [0], "symbol": ["A"]}))
    bars = pd.DataFrame(
        {"date": ["2024-01-03"], "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1}
    )
    w.write_daily_bars(0, bars)
    with pytest.raises(Exception, match="already written"):
        w.write_daily_bars(0, bars)
    with pytest.raises(RuntimeError, match="not published"):
        _ = w.version_dir
    w.commit()
    with pytest.raises(RuntimeError, match="already committed"):
        w.commit()
    with pytest.raises(RuntimeError, match="already committed"):
        w.write_daily_bars(1, bars)


def test_writer_without_assets_fails_and_cleans_up(tmp_path):
    from rustybt.errors import IngestError

    with (
        pytest.raises(IngestError, match="no assets were written"),
        BundleWriter(tmp_path / "w", name="w"),
    ):
        pass
    assert list((tmp_path / "w").iterdir()) == []


def test_bars_for_unknown_sids_are_rejected(tmp_path):
    from rustybt.errors import IngestError

    bars = pd.DataFrame(
        {"date": ["2024-01-03"], "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1}
    )
    with (
        pytest.raises(IngestError, match=r"missing from the asset table: \[5\]"),
        BundleWriter(tmp_path / "w", name="w") as w,
    ):
        w.write_assets(pd.DataFrame({"sid": [0], "symbol": ["A"]}))
        w.write_daily_bars(5, bars)


def test_concurrent_ingest_of_the_same_bundle_waits_for_the_lock(ingest_source, root):
    import threading
    import time

    from rustybt.data.bundles._lock import bundle_lock

    first = ingest_source(synthetic_ingest(2, 0.1, seed=1), name="lk")
    register("lk", synthetic_ingest(2, 0.1, seed=2))
    result = {}
    bdir = root / "bundles" / "lk"
    with bundle_lock(bdir):  # as another process would hold it while ingesting
        stale = bdir / ".tmp-in-progress"
        stale.mkdir()  # that ingest's temp dir must survive while it holds the lock
        thread = threading.Thread(target=lambda: result.setdefault("b", ingest("lk", root=root)))
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive() and stale.exists()
        assert load("lk", root=root).version == first.version
    thread.join(timeout=60)
    assert result["b"].version != first.version and not stale.exists()
    assert clean("lk", keep=1, root=root) == [first.path.name]
