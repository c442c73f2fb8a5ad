"""The mapped store: uncompressed Arrow IPC files in ``bundle.cache_dir``, memory-mapped.

Opening maps the file (``pa.memory_map``) and views each column's data buffer with
``np.frombuffer``: no bar data is copied into private memory and pandas is not imported.
A missing, stale (other bundle version or store format) or unreadable file is rebuilt under
an exclusive file lock, written to a temporary file and published with ``os.replace``, so two
processes opening the same bundle at once build it once and never see a partial file. A build
killed mid-write leaves its temporary file; :func:`sweep_store_temps` removes such leftovers
of the store's files (``_fs.sweep_temps``: under each file's build lock, skipped while a live
build holds it), at the cost of one directory listing when there are none. It runs before
every build and once when a portal opens its stores.

Every file is sealed with checksums (:mod:`.checksum`) when built and re-hashed in full before
it is published. Opening checks the footer's digest, the column buffers' layout (sizes, order,
no overlap) and, for a file of at most ``format.FULL_CHECK_MAX_BYTES``, every column's digest
once per process; any failure is ``StoreCorrupted`` and :func:`ensure_store` rebuilds the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from rustybt._fs import TMP_PREFIX, atomic_path, file_lock, sweep_temps
from rustybt.data.store import format as F
from rustybt.data.store.checksum import check_data, check_meta, seal
from rustybt.errors import StoreCorrupted

__all__ = ["MappedStore", "ensure_store", "sweep_store_temps", "write_atomic"]


class MappedStore:
    """One memory-mapped store file: read-only NumPy views of its float64/int64 columns.

    Attributes:
        path: The file.
        kind: ``'daily'``, ``'minute'``, ``'calendar'`` or ``'minute_index'``.
        version: Bundle version the file was built from.
        columns: Column name → 1-D read-only view of the whole mapped column.
        length: Rows per asset (sessions or minutes) for bar stores; column length otherwise.
        sids: Sids in row order (bar stores).
        row_of: sid → asset row (bar stores).
        metadata: The file's decoded ``rustybt.*`` schema metadata.

    Args:
        path: The file.
        kind: The kind the file must hold.
        version: The bundle version it must be built from.
        full_check: Re-hash every column: True always, False never, None (default) when the
            file is at most ``FULL_CHECK_MAX_BYTES`` and this process has not yet hashed this
            very file (same inode, size and modification time).

    Raises:
        StoreCorrupted: The file is unreadable, stale, or fails a check.
    """

    def __init__(self, path: Path, kind: str, version: str,
                 full_check: bool | None = None) -> None:
        self.path = path
        self.kind = kind
        try:
            self._map = pa.memory_map(str(path), "r")
            reader = pa.ipc.open_file(self._map)
            if reader.num_record_batches != 1:
                raise StoreCorrupted(f"{path}: {reader.num_record_batches} record batches, want 1")
            self.batch = reader.get_batch(0)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise StoreCorrupted(f"{path}: unreadable Arrow IPC file ({exc})") from exc
        raw = self.batch.schema.metadata or {}
        if raw.get(F.K_FORMAT) != F.STORE_FORMAT.encode():
            raise StoreCorrupted(f"{path}: store format {raw.get(F.K_FORMAT)!r} is not current")
        if raw.get(F.K_VERSION) != version.encode():
            raise StoreCorrupted(f"{path}: built for bundle version {raw.get(F.K_VERSION)!r}")
        if raw.get(F.K_KIND) != kind.encode():
            raise StoreCorrupted(f"{path}: holds {raw.get(F.K_KIND)!r}, expected {kind!r}")
        sums = check_meta(path, self.batch)
        self.version = version
        rows = self.batch.num_rows
        try:
            self.metadata = {
                k.decode()[len("rustybt."):]: json.loads(v)
                for k, v in raw.items()
                if k.startswith(b"rustybt.") and k not in _RAW_KEYS
            }
            self.sids = np.asarray(self.metadata.get("sids", []), dtype=np.int64)
            self.length = int(self.metadata.get("length", rows))
        except (ValueError, TypeError, UnicodeDecodeError) as exc:
            raise StoreCorrupted(f"{path}: unreadable store metadata ({exc})") from exc
        self.columns: dict[str, np.ndarray] = {}
        for name, arr in zip(self.batch.schema.names, self.batch.columns, strict=True):
            self.columns[name] = _view(arr, path, name)
        _check_layout(path, self.columns)
        if self.metadata.get("sids") is not None and (
            self.sids.ndim != 1 or len(self.sids) * self.length != rows
        ):
            raise StoreCorrupted(
                f"{path}: {rows} rows, but {len(self.sids)} assets × {self.length} bars"
            )
        self.row_of: dict[int, int] = {int(s): i for i, s in enumerate(self.sids.tolist())}
        if len(self.row_of) != len(self.sids):
            raise StoreCorrupted(f"{path}: a sid appears twice in the store's sids")
        if full_check is not False:
            key = _file_key(path)
            if full_check or (key[2] <= F.FULL_CHECK_MAX_BYTES and key not in _HASHED):
                check_data(path, self.columns, sums)
                _HASHED.add(key)

    def matrix(self, name: str) -> np.ndarray:
        """Column ``name`` as a read-only (n_assets, length) view."""
        return self.columns[name].reshape(len(self.sids), self.length)

    def __repr__(self) -> str:
        return f"MappedStore({self.kind!r}, {str(self.path)!r}, rows={self.batch.num_rows})"


#: Metadata entries that are not JSON (or not for ``metadata``).
_RAW_KEYS = (F.K_FORMAT, F.K_VERSION, F.K_KIND, F.K_CHECKSUMS, F.K_META_CHECKSUM)
#: (path, inode, size, mtime_ns) of the files this process has hashed in full.
_HASHED: set[tuple[str, int, int, int]] = set()


def _file_key(path: Path) -> tuple[str, int, int, int]:
    stat = os.stat(path)
    return (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _check_layout(path: Path, columns: dict[str, np.ndarray]) -> None:
    """Column buffers in schema order, none overlapping the next (an edited footer that
    points two columns at one buffer, or swaps them, fails here)."""
    end = 0
    for name, view in columns.items():
        if not view.nbytes:
            continue
        start = view.__array_interface__["data"][0]
        if start < end:
            raise StoreCorrupted(f"{path}: column {name!r} overlaps or precedes the column before")
        end = start + view.nbytes


def _view(arr: pa.Array, path: Path, name: str) -> np.ndarray:
    if arr.null_count:
        raise StoreCorrupted(f"{path}: column {name!r} has {arr.null_count} nulls")
    if arr.type == pa.float64():
        dtype: type = np.float64
    elif arr.type == pa.int64():
        dtype = np.int64
    else:
        raise StoreCorrupted(f"{path}: column {name!r} has type {arr.type}")
    buf = arr.buffers()[1]
    view: np.ndarray = np.frombuffer(buf, dtype=dtype, count=len(arr) + arr.offset)[arr.offset:]
    view.flags.writeable = False
    return view


def write_atomic(path: Path, batch: pa.RecordBatch) -> None:
    """Write ``batch`` as an uncompressed one-batch IPC file, atomically (``_fs.atomic_path``).

    The batch is written as given: :func:`ensure_store` seals it with checksums first. No
    build lock is taken (test fixtures): never use it on a store another process may open.
    """
    with atomic_path(path) as tmp:
        _write(tmp, batch)


def _write(path: Path, batch: pa.RecordBatch) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
        writer.write_batch(batch)


def ensure_store(
    cache_dir: Path, name: str, kind: str, version: str, build: Callable[[], pa.RecordBatch],
    full_check: bool | None = None,
) -> MappedStore:
    """Map ``cache_dir/name``, (re)building it first when missing, stale or corrupted.

    A build is sealed with checksums, written to a temporary file, re-hashed there in full
    and only then published; ``full_check`` is passed to :class:`MappedStore` for an existing
    file.
    """
    path = cache_dir / name
    try:
        return MappedStore(path, kind, version, full_check)
    except (StoreCorrupted, FileNotFoundError):
        pass
    sweep_store_temps(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(_lock_path(cache_dir, name)):
        try:  # another process may have built it while we waited for the lock
            return MappedStore(path, kind, version, full_check)
        except (StoreCorrupted, FileNotFoundError):
            pass
        batch = seal(build())
        with atomic_path(path) as tmp:
            _write(tmp, batch)
            MappedStore(tmp, kind, version, full_check=True)  # what was written reads back
        _HASHED.add(_file_key(path))
    return MappedStore(path, kind, version, full_check=False)


def _lock_path(cache_dir: Path, name: str) -> Path:
    """The lock every build of ``cache_dir/name`` holds."""
    return cache_dir / f".{name}.lock"


def sweep_store_temps(cache_dir: Path) -> list[Path]:
    """Remove temporary files of store builds killed mid-write; return them.

    Each store file's leftovers go under its build lock, and only while no build holds it.
    """
    try:
        if not any(n.startswith(TMP_PREFIX) for n in os.listdir(cache_dir)):
            return []
    except FileNotFoundError:
        return []
    return [p for name, _ in F.STORE_FILES for p in sweep_temps(cache_dir / name,
                                                                _lock_path(cache_dir, name))]
