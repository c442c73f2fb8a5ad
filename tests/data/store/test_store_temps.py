"""Temporary files of store builds killed mid-write are removed on the next open, never a live
build's."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np

from rustybt import ArrowDataPortal
from rustybt._fs import TMP_PREFIX, file_lock
from rustybt.data.store.format import STORE_FILES
from rustybt.testing import make_bundle, random_spec


def _plant(cache_dir: Path, name: str) -> Path:
    """A leftover as ``atomic_path`` names it (``.tmp-<name>-<pid>-<uuid>``)."""
    path = cache_dir / f"{TMP_PREFIX}{name}-4242-{uuid.uuid4().hex}"
    path.write_bytes(b"half a store file")
    return path


def test_killed_builds_leftovers_go_on_the_next_open(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, random_spec(seed=3, n_assets=2, n_sessions=15), name="tmp")
    end = bundle.last_session
    expected = np.array(ArrowDataPortal(bundle).history(0, "close", 5, end_dt=end))
    cache = bundle.cache_dir
    planted = [_plant(cache, name) for name, _ in STORE_FILES]
    foreign = cache / f"{TMP_PREFIX}notes.txt-1-{'b' * 32}"  # no store file's: not ours
    foreign.write_text("x")
    portal = ArrowDataPortal(bundle)
    assert not any(p.exists() for p in planted)
    assert foreign.exists()
    np.testing.assert_array_equal(portal.history(0, "close", 5, end_dt=end), expected)


def test_a_live_builds_temp_file_stays(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, random_spec(seed=4, n_assets=2, n_sessions=15), name="tmp")
    ArrowDataPortal(bundle)  # built
    cache = bundle.cache_dir
    calendar, daily = _plant(cache, "calendar.arrow"), _plant(cache, "daily.arrow")
    with file_lock(cache / ".daily.arrow.lock"):  # as a build of daily.arrow holds it
        ArrowDataPortal(bundle)
        assert not calendar.exists()
        assert daily.exists()  # may be that build's file: left alone
    ArrowDataPortal(bundle)
    assert not daily.exists()
