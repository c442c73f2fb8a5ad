"""Checksums of the mapped store: sealed into each file's schema metadata, checked on open.

A store file carries two digests (``format.CHECKSUM_ALGORITHM``) in its Arrow schema metadata:

- ``rustybt.checksums``: per column, the digest of its data buffer (the float64/int64 values);
- ``rustybt.meta_checksum``: the digest of the schema (column names, types, nullability), the
  row count and every other metadata entry, the column digests included.

:func:`seal` adds both to a batch before it is written; :func:`check_meta` re-derives the
metadata digest (microseconds: a few KB of footer) and :func:`check_data` re-hashes the columns
(1.37 GB/s measured with sha256). See :mod:`rustybt.data.store` for when each runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa

from rustybt.data.store import format as F
from rustybt.errors import StoreCorrupted

__all__ = ["check_data", "check_meta", "column_digest", "seal"]


def column_digest(values: np.ndarray) -> str:
    """Hex digest of a column's values (its bytes in memory order)."""
    return hashlib.new(F.CHECKSUM_ALGORITHM, np.ascontiguousarray(values)).hexdigest()


def _values(arr: pa.Array) -> np.ndarray:
    """The values of a float64/int64 column without nulls; an empty array for anything else
    (such a column is refused when the file is opened)."""
    if arr.null_count or arr.type not in (pa.float64(), pa.int64()):
        return np.zeros(0, np.uint8)
    return arr.to_numpy(zero_copy_only=True)


def _meta_digest(schema: pa.Schema, rows: int, meta: Mapping[bytes, bytes]) -> str:
    h = hashlib.new(F.CHECKSUM_ALGORITHM)
    fields = [[f.name, str(f.type), f.nullable] for f in schema]
    h.update(json.dumps([fields, rows]).encode())
    for key in sorted(meta):
        if key != F.K_META_CHECKSUM:
            value = meta[key]
            h.update(len(key).to_bytes(8, "little") + key)
            h.update(len(value).to_bytes(8, "little") + value)
    return h.hexdigest()


def seal(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with its column digests and metadata digest added to the schema metadata."""
    meta = dict(batch.schema.metadata or {})
    sums = {name: column_digest(_values(arr))
            for name, arr in zip(batch.schema.names, batch.columns, strict=True)}
    meta[F.K_CHECKSUMS] = json.dumps(sums).encode()
    meta[F.K_META_CHECKSUM] = _meta_digest(batch.schema, batch.num_rows, meta).encode()
    return batch.replace_schema_metadata(meta)


def check_meta(path: Path, batch: pa.RecordBatch) -> dict[str, str]:
    """Check the metadata digest of a mapped file; return its column digests.

    Raises:
        StoreCorrupted: no digest, or the footer (schema, metadata) was changed.
    """
    meta = batch.schema.metadata or {}
    want = meta.get(F.K_META_CHECKSUM)
    if want is None or F.K_CHECKSUMS not in meta:
        raise StoreCorrupted(f"{path}: no checksum in the store's metadata")
    if _meta_digest(batch.schema, batch.num_rows, meta).encode() != want:
        raise StoreCorrupted(f"{path}: the footer (schema or metadata) fails its checksum")
    try:
        sums = json.loads(meta[F.K_CHECKSUMS])
        if not isinstance(sums, dict) or set(sums) != set(batch.schema.names):
            raise ValueError("not one digest per column")
    except ValueError as exc:
        raise StoreCorrupted(f"{path}: unreadable column checksums ({exc})") from exc
    return {str(k): str(v) for k, v in sums.items()}


def check_data(path: Path, columns: Mapping[str, np.ndarray], sums: Mapping[str, str]) -> None:
    """Re-hash every column; raise StoreCorrupted naming the first one that differs."""
    for name, values in columns.items():
        if column_digest(values) != sums.get(name):
            raise StoreCorrupted(f"{path}: column {name!r} fails its checksum (data changed)")
