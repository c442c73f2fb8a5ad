"""rustybt's data layer: bundles (Parquet), the mapped store, the portal and SQL.

Layers, lowest first: :mod:`.bundles` ← :mod:`.store` ← :mod:`.portal`; :mod:`.sql` reads
bundles only. Nothing here imports :mod:`rustybt.compat` or anything above the data layer.
``rustybt.data.DataPortal`` is kept as a lazy alias of :class:`rustybt.compat.zipline.DataPortal`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rustybt.compat.zipline.data_portal import DataPortal

__all__ = ["DataPortal"]


def __getattr__(name: str) -> object:
    """``DataPortal``, zipline's shim, imported on first use (it lives in ``rustybt.compat``)."""
    if name == "DataPortal":
        from rustybt.compat.zipline.data_portal import DataPortal  # the one allowed upward alias

        return DataPortal
    raise AttributeError(f"module 'rustybt.data' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "DataPortal"])
