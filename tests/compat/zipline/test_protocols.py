"""The zipline shim satisfies the contract the engine reads through (DataPortalLike)."""

from __future__ import annotations

from typing import Any

from rustybt.data.portal import AdjustmentReaderLike, DataPortalLike


def test_shim_satisfies_data_portal_like(world: Any) -> None:
    for shim in world.portals.values():
        assert isinstance(shim, DataPortalLike)
        assert isinstance(shim.adjustment_reader, AdjustmentReaderLike)
        assert isinstance(shim.portal, DataPortalLike)
