"""One zipline world per bundle version: built once, opened afterwards, the same windows.

The session's ``world`` fixture is the reference: the same bundle written by
``build_zipline_world`` directly. Windows are compared exactly (daily and minute, adjusted
``price`` included), so an opened world that lost a reader or the adjustments fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from rustybt.compat.zipline.world_cache import cached_zipline_world, open_zipline_world


def _windows(zworld: Any, bundle: Any) -> list[pd.DataFrame]:
    portal, assets = zworld.data_portal, zworld.assets()
    out = []
    for end in list(bundle.sessions)[25::10]:
        for field in ("close", "price", "volume"):
            out.append(portal.get_history_window(assets, end, 20, "1d", field, "daily"))
    minutes = zworld.calendar.session_minutes(bundle.sessions[30])
    for end in (minutes[0], minutes[200]):
        out.append(portal.get_history_window(assets, end, 60, "1m", "price", "minute"))
    return out


def _assert_same(got: list[pd.DataFrame], want: list[pd.DataFrame]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_built_once_then_opened_with_the_same_windows(world: Any, tmp_path: Path) -> None:
    cache = tmp_path / "worlds"
    first = cached_zipline_world(world.bundle, cache)
    assert first.path == cache / world.bundle.version
    assert first.daily_reader is not None and first.minute_reader is not None
    want = _windows(world.zipline, world.bundle)
    _assert_same(_windows(first, world.bundle), want)
    files = {p: p.stat().st_mtime_ns for p in first.path.rglob("*")}
    again = cached_zipline_world(world.bundle, cache)  # opened, not written again
    assert [p.name for p in cache.iterdir()] == [world.bundle.version]  # no scratch left
    assert {p: p.stat().st_mtime_ns for p in again.path.rglob("*")} == files
    _assert_same(_windows(again, world.bundle), want)


def test_opening_an_incomplete_world_names_the_missing_file(world: Any, tmp_path: Path) -> None:
    with pytest.raises(
        FileNotFoundError,
        match=r"assets-\d+\.sqlite is missing: .* not a "
        r"complete zipline world of bundle compat \(version ",
    ):
        open_zipline_world(world.bundle, tmp_path)
