"""Everything that speaks zipline: the one place (besides ``rustybt.testing``) importing zipline.

- :class:`DataPortal` (:mod:`.data_portal`): zipline's ``DataPortal`` constructor and methods
  over :class:`rustybt.ArrowDataPortal` (also reachable as ``rustybt.data.DataPortal``).
- :class:`ArrowDailyBarReader` / :class:`ArrowMinuteBarReader` (:mod:`.readers`): zipline
  ``BarReader``s over the mapped store; :class:`BundleAdjustmentReader`
  (:mod:`.adjustment_reader`): zipline's adjustment-reader interface over a bundle.
- :mod:`.conversion`: foreign zipline readers (bcolz, HDF5, ...) converted once into a bundle.
- :mod:`.bundle_import`: ``rustybt bundles import-zipline``.
- :mod:`.errors`: zipline's exception classes, each also the matching :mod:`rustybt.errors` class.
- :mod:`.reference`, :mod:`.reference_algo`: zipline's own world built from a bundle, for
  comparisons in tests and benchmarks.

zipline-reloaded is optional (the ``dev`` extra): the classes here work without it, raising
rustybt's errors instead of zipline's.
"""

from typing import TYPE_CHECKING

from rustybt._lazy import lazy_exports

if TYPE_CHECKING:  # the names for type checkers; at run time each is imported on first use
    from rustybt.compat.zipline.adjustment_reader import BundleAdjustmentReader
    from rustybt.compat.zipline.bundle_import import import_zipline_bundle
    from rustybt.compat.zipline.data_portal import DataPortal
    from rustybt.compat.zipline.errors import (
        HistoryWindowStartsBeforeData,
        NoDataForSid,
        NoDataOnDate,
    )
    from rustybt.compat.zipline.readers import ArrowDailyBarReader, ArrowMinuteBarReader

__all__ = [
    "ArrowDailyBarReader",
    "ArrowMinuteBarReader",
    "BundleAdjustmentReader",
    "DataPortal",
    "HistoryWindowStartsBeforeData",
    "NoDataForSid",
    "NoDataOnDate",
    "import_zipline_bundle",
]

# lazy (:mod:`rustybt._lazy`): importing one submodule (the conversions' listing that
# ``rustybt bundles shim`` reads) must not import zipline through this package
_NAMES_BY_MODULE: dict[str, tuple[str, ...]] = {
    "adjustment_reader": ("BundleAdjustmentReader",),
    "bundle_import": ("import_zipline_bundle",),
    "data_portal": ("DataPortal",),
    "errors": ("HistoryWindowStartsBeforeData", "NoDataForSid", "NoDataOnDate"),
    "readers": ("ArrowDailyBarReader", "ArrowMinuteBarReader"),
}
__getattr__, __dir__ = lazy_exports(__name__, _NAMES_BY_MODULE, __all__)
