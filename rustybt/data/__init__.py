"""rustybt's data layer: bundles, the Arrow portal, and the zipline DataPortal shim."""

from typing import Any

__all__ = ["DataPortal"]


def __getattr__(name: str) -> Any:
    """Import ``DataPortal`` (the zipline-compatible shim) on first use, keeping imports light."""
    if name == "DataPortal":
        from rustybt.data.data_portal import DataPortal

        return DataPortal
    raise AttributeError(f"module 'rustybt.data' has no attribute {name!r}")
