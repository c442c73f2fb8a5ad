"""``BundleLike``: what the mapped store and the portal read from a bundle.

The contract between a bundle on disk (:class:`rustybt.data.bundles.Bundle`) and the layers
above it (the store builder in :mod:`rustybt.data.store.build`, the adjustment loader,
:class:`rustybt.ArrowDataPortal`, zipline's adjustment reader in :mod:`rustybt.compat.zipline`).
Only these members are read; anything that provides them with the documented meaning (a test
double, a bundle of another format) can be opened by the portal. ``Bundle`` satisfies it
(checked by a test and by mypy). The protocol is ``runtime_checkable``: on Python ≥ 3.12
``isinstance`` looks the members up statically, so the check evaluates no lazy property.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

    from rustybt.assets import AssetFinder

__all__ = ["BundleLike"]


@runtime_checkable
class BundleLike(Protocol):
    """A bundle version as the store builder and the portal read it.

    Dates are naive session labels (``datetime64[ns]``) in every table; bar files hold
    ``date`` (daily, ``date32``) or ``dt`` (minute, UTC timestamps) plus open, high, low,
    close, volume.
    """

    @property
    def name(self) -> str:
        """The bundle's name (error messages, ``repr``)."""

    @property
    def version(self) -> str:
        """Content hash of the bundle: the key of every derived store."""

    @property
    def cache_dir(self) -> Path:
        """Directory for derived data of this version (the mapped Arrow store)."""

    @property
    def calendar(self) -> Any:
        """The exchange-calendars calendar covering the sessions (``first_minutes``,
        ``last_minutes``, ``minutes_in_range`` are read)."""

    @property
    def sessions(self) -> pd.DatetimeIndex:
        """Every session from the first to the last one (naive labels)."""

    @property
    def asset_finder(self) -> AssetFinder:
        """Lookups of assets by sid and by symbol."""

    def sids_with_bars(self, frequency: str) -> list[int]:
        """Sorted sids that have a bar file for ``'daily'`` or ``'minute'``."""

    def bar_path(self, frequency: str, sid: int) -> Path:
        """The Parquet bar file of ``sid`` for ``'daily'`` or ``'minute'``."""

    def read_assets(self) -> pd.DataFrame:
        """The asset table (``sid``, ``start_date``, ``end_date``, ...)."""

    def read_splits(self) -> pd.DataFrame:
        """Splits: ``sid``, ``effective_date``, ``ratio``."""

    def read_mergers(self) -> pd.DataFrame:
        """Mergers: ``sid``, ``effective_date``, ``ratio``."""

    def read_dividends(self) -> pd.DataFrame:
        """Cash dividends: ``sid``, ``ex_date``, ``pay_date``, ``amount``, ``ratio`` (fixed at
        ingest), ..."""

    def read_stock_dividends(self) -> pd.DataFrame:
        """Stock dividends: ``sid``, ``ex_date``, ``pay_date``, ``payment_sid``, ``ratio``, ..."""
