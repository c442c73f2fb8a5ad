"""Sources that feed bundles: synthetic data, zipline csvdir directories, DataFrames, yours.

Each ``*_ingest`` function returns a callable ``fn(writer)`` to pass to
:func:`rustybt.data.bundles.register`. The source registry (:mod:`.registry`) names factories of
such functions so ``rustybt ingest NAME --source SRC`` can reach them: the built-ins register
there (:mod:`._builtin`), and so can users (:func:`register_source`, an ``extension.py``, or the
``rustybt.sources`` entry-point group).
"""

from rustybt.data.bundles.sources import _builtin  # noqa: F401  (registers the built-ins)
from rustybt.data.bundles.sources.csvdir import csvdir_ingest, csvdir_symbols
from rustybt.data.bundles.sources.dataframe import dataframe_ingest
from rustybt.data.bundles.sources.registry import (
    ENTRY_POINT_GROUP,
    Source,
    get_source,
    load_extension,
    make_ingest,
    register_source,
    registered_sources,
    unregister_source,
)
from rustybt.data.bundles.sources.synthetic import (
    DEFAULT_END_SESSION,
    SyntheticData,
    iter_synthetic,
    synthetic_frames,
    synthetic_ingest,
)

__all__ = [
    "DEFAULT_END_SESSION",
    "ENTRY_POINT_GROUP",
    "Source",
    "SyntheticData",
    "csvdir_ingest",
    "csvdir_symbols",
    "dataframe_ingest",
    "get_source",
    "iter_synthetic",
    "load_extension",
    "make_ingest",
    "register_source",
    "registered_sources",
    "synthetic_frames",
    "synthetic_ingest",
    "unregister_source",
]
