"""Sources that feed bundles: synthetic data, zipline csvdir directories, DataFrames.

Each ``*_ingest`` function returns a callable ``fn(writer)`` to pass to
:func:`rustybt.data.bundles.register`.
"""

from rustybt.data.bundles.sources.csvdir import csvdir_ingest, csvdir_symbols
from rustybt.data.bundles.sources.dataframe import dataframe_ingest
from rustybt.data.bundles.sources.synthetic import (
    DEFAULT_END_SESSION,
    SyntheticData,
    iter_synthetic,
    synthetic_frames,
    synthetic_ingest,
)

__all__ = [
    "DEFAULT_END_SESSION",
    "SyntheticData",
    "csvdir_ingest",
    "csvdir_symbols",
    "dataframe_ingest",
    "iter_synthetic",
    "synthetic_frames",
    "synthetic_ingest",
]
