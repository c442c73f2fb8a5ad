"""ArrowDataPortal(zipline_exact=True) itself (no shim) reproduces zipline's history windows."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from rustybt import ArrowDataPortal
from tests.compat.zipline._calls import Dts, history_daily, history_minute
from tests.compat.zipline._compare import Raised, call, same


@pytest.mark.parametrize("source", ["bcolz_converted", "rustybt_bundle"])
@pytest.mark.parametrize("family", [history_daily, history_minute])
def test_windows_match_zipline(world: Any, source: str, family: Any) -> None:
    bundle = world.shim_zipline.bundle if source == "bcolz_converted" else world.bundle
    portal = ArrowDataPortal(bundle, zipline_exact=True)
    bad = []
    for label, fn in family(Dts(world), random.Random(f"direct-{source}"), 120):
        want = call(lambda f=fn: f(world.zipline.data_portal))
        got = call(lambda f=fn: f(portal))
        if isinstance(want, Raised):  # rustybt's own classes, with zipline's names
            ok = isinstance(got, Raised) and type(got.exc).__name__ == type(want.exc).__name__
        else:
            ok = same(want, got)
        if not ok:
            bad.append(f"{label}: {want!r:.200} / {got!r:.200}")
    assert not bad, "\n".join(bad[:3])


def test_history_array_matches_zipline_window(world: Any) -> None:
    portal = ArrowDataPortal(world.shim_zipline.bundle, zipline_exact=True)
    assets = world.assets
    for end in list(world.bundle.sessions)[25::5]:
        for field in ("open", "close", "price", "volume"):
            want = world.zipline.data_portal.get_history_window(
                assets, end, 20, "1d", field, "daily"
            )
            got = portal.history(assets, field, 20, "1d", end, "daily", return_type="array")
            np.testing.assert_array_equal(got, want.to_numpy())
