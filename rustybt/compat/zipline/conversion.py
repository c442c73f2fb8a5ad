"""Where the DataPortal shim's data comes from: rustybt readers, or foreign readers converted once.

- rustybt's :class:`ArrowDailyBarReader` / :class:`ArrowMinuteBarReader` (one bundle): their
  bundle is used directly; its adjustments apply unless a zipline adjustment reader is given.
- anything else with zipline's ``BarReader`` interface (bcolz, HDF5, in-memory readers ...) and
  zipline's ``SQLiteAdjustmentReader``: converted into a rustybt bundle under
  ``<rustybt root>/shim/<key>/`` the first time, where ``key`` is a SHA256 over the readers'
  files (or, for readers without files, over their data). A later construction over the same
  data finds the bundle (and its mapped store) and converts nothing; a conversion whose
  manifest does not record that full key (a copied or damaged directory) is converted again.

Conversions stay until removed: :func:`shim_conversions` lists them with their sizes (``rustybt
bundles shim``) and :func:`clean_shim` removes them (``rustybt bundles clean --shim``), under
each conversion's lock, so a conversion being written is waited for, never cut.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rustybt._fs import file_lock, update_digest
from rustybt.data.bundles import Bundle, BundleWriter
from rustybt.data.bundles.format import CURRENT_POINTER
from rustybt.data.bundles.inventory import VersionInfo, version_infos
from rustybt.data.bundles.registry import SHIM_DIR, bundle_root
from rustybt.errors import BundleCorrupted, BundleNotFound

__all__ = [
    "SHIM_DIR",
    "ShimConversion",
    "ShimSource",
    "clean_shim",
    "resolve_source",
    "shim_conversions",
]
#: Bumped when the conversion's output changes, so older conversions are not reused
#: (2: zipline's stored dividend ratios, bars with some prices missing kept).
_KEY_VERSION = b"rustybt-shim-source/2"


class ShimSource:
    """The bundle the shim reads and the adjustment reader it exposes.

    Attributes:
        bundle: The rustybt bundle.
        adjustment_reader: What ``DataPortal.adjustment_reader`` returns.
        converted: True when foreign readers were converted (now or on an earlier run).
    """

    def __init__(self, bundle: Bundle, adjustment_reader: Any, converted: bool) -> None:
        self.bundle = bundle
        self.adjustment_reader = adjustment_reader
        self.converted = converted


def _arrow_bundle(readers: Iterable[Any]) -> Bundle | None:
    """The common bundle of rustybt readers, or None when any reader is foreign."""
    from rustybt.compat.zipline.readers import ArrowDailyBarReader, ArrowMinuteBarReader

    present = [r for r in readers if r is not None]
    if not present or not all(
        isinstance(r, (ArrowDailyBarReader, ArrowMinuteBarReader)) for r in present
    ):
        return None
    versions = {r.bundle.version for r in present}
    if len(versions) != 1:
        return None
    return present[0].bundle


# ---------------------------------------------------------------------------- content key
def _files_of(obj: Any) -> list[Path] | None:
    """Files backing a zipline reader / finder, when they can be found."""
    candidates: list[Any] = []
    table = getattr(obj, "_maybe_table_rootdir", None)  # BcolzDailyBarReader
    if table is not None:
        candidates.append(getattr(table, "rootdir", table))
    candidates.append(getattr(obj, "_rootdir", None))  # BcolzMinuteBarReader
    conn = getattr(obj, "conn", None)  # SQLiteAdjustmentReader
    if conn is not None:
        try:
            row = conn.execute("PRAGMA database_list").fetchone()
            candidates.append(row[2] if row else None)
        except Exception:
            pass
    engine = getattr(obj, "engine", None)  # zipline AssetFinder
    if engine is not None:
        candidates.append(getattr(getattr(engine, "url", None), "database", None))
    h5 = getattr(getattr(obj, "_country_group", None), "file", None)  # HDF5DailyBarReader
    if h5 is not None:
        candidates.append(getattr(h5, "filename", None))
    for c in candidates:
        if isinstance(c, (str, Path)) and str(c) and Path(c).exists():
            p = Path(c)
            return sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
    return None


def _hash_files(h: Any, files: list[Path]) -> None:
    for f in files:
        h.update(f.name.encode())
        update_digest(h, f)


def _hash_reader_data(h: Any, reader: Any, sids: list[int]) -> None:
    """Hash a file-less reader by its data (all bars of all sids)."""
    if reader.data_frequency == "minute":
        cal = reader.trading_calendar
        start = cal.session_first_minute(pd.Timestamp(reader.first_trading_day))
        end = pd.Timestamp(reader.last_available_dt)
    else:
        sessions = pd.DatetimeIndex(reader.sessions)
        start, end = sessions[0], sessions[-1]
    h.update(f"{reader.data_frequency}|{start}|{end}".encode())
    have = []
    for sid in sids:
        try:
            reader.load_raw_arrays(["close"], start, start, [sid])
        except Exception:
            continue
        have.append(sid)
    h.update(np.asarray(have, dtype=np.int64).tobytes())
    if have:
        for arr in reader.load_raw_arrays(
            ["open", "high", "low", "close", "volume"], start, end, have
        ):
            h.update(np.ascontiguousarray(arr, dtype=np.float64).tobytes())


def content_key(asset_finder: Any, daily: Any, minute: Any, adjustments: Any) -> str:
    """SHA256 over the readers' files, or their data when they have no files."""
    h = hashlib.sha256(_KEY_VERSION)
    sids = sorted(int(s) for s in asset_finder.sids)
    h.update(np.asarray(sids, dtype=np.int64).tobytes())
    for label, obj in (
        ("assets", asset_finder),
        ("daily", daily),
        ("minute", minute),
        ("adj", adjustments),
    ):
        h.update(label.encode())
        if obj is None:
            h.update(b"none")
            continue
        files = _files_of(obj)
        if files is not None:
            _hash_files(h, files)
        elif label in ("daily", "minute"):
            _hash_reader_data(h, obj, sids)
        elif label == "adj":
            for name, frame in sorted(obj.unpack_db_to_component_dfs(convert_dates=False).items()):
                h.update(name.encode())
                h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        else:
            for a in asset_finder.retrieve_all(sids):
                h.update(repr((int(a), a.symbol, str(a.start_date), str(a.end_date))).encode())
    return h.hexdigest()


# ---------------------------------------------------------------------------- conversion
def _convert(
    key: str, asset_finder: Any, daily: Any, minute: Any, adjustments: Any, root: Path | str | None
) -> Bundle:
    bundle_dir = bundle_root(root) / SHIM_DIR / key[:32]
    bundle_dir.mkdir(parents=True, exist_ok=True)
    name = f"shim-{key[:12]}"
    # one process converts; the others wait, then find its version
    with _conversion_lock(bundle_dir):
        existing = _current(bundle_dir, name, key)
        if existing is not None:
            return existing
        return _write(bundle_dir, name, key, asset_finder, daily, minute, adjustments)


def _current(bundle_dir: Path, name: str, key: str) -> Bundle | None:
    """The conversion's current version if its manifest records ``key``, else None (convert).

    The directory name holds only a prefix of the key, and a directory copied or left from
    other readers must never be served for these: a mismatch, or a damaged manifest, converts
    again.
    """
    pointer = bundle_dir / CURRENT_POINTER
    if pointer.exists():
        path = bundle_dir / pointer.read_text().strip()
        if path.exists():
            try:
                bundle = Bundle(path, name=name)
            except BundleCorrupted:
                return None
            if bundle.manifest.source.get("shim_key") == key:
                return bundle
    return None


def _write(
    bundle_dir: Path,
    name: str,
    key: str,
    asset_finder: Any,
    daily: Any,
    minute: Any,
    adjustments: Any,
) -> Bundle:
    from rustybt.compat.zipline.bundle_import import (
        _reader_span,
        write_zipline_readers,
    )

    calendar_name, first, last = _reader_span(daily, minute)
    with BundleWriter(
        bundle_dir,
        name=name,
        calendar_name=calendar_name,
        start_session=first,
        end_session=last,
        source={"shim_key": key},
        show_progress=None,  # a bar on a terminal only: the shim runs inside users' scripts
        strict=False,  # zipline already serves this data: keep it as zipline serves it
    ) as writer:
        write_zipline_readers(
            writer,
            asset_finder=asset_finder,
            daily_reader=daily,
            minute_reader=minute,
            adjustment_reader=adjustments,
        )
    return Bundle(writer.version_dir, name=name)


def resolve_source(
    asset_finder: Any,
    daily: Any,
    minute: Any,
    adjustments: Any,
    *,
    root: Path | str | None = None,
) -> ShimSource:
    """The bundle (and exposed adjustment reader) for a shim built from these readers."""
    from rustybt.compat.zipline.adjustment_reader import BundleAdjustmentReader

    bundle = _arrow_bundle((daily, minute))
    if bundle is not None:
        exposed = adjustments if adjustments is not None else BundleAdjustmentReader(bundle)
        return ShimSource(bundle, exposed, converted=False)
    if daily is None and minute is None:
        raise ValueError("DataPortal needs an equity_daily_reader or an equity_minute_reader")
    key = content_key(asset_finder, daily, minute, adjustments)
    bundle = _convert(key, asset_finder, daily, minute, adjustments, root)
    return ShimSource(bundle, adjustments, converted=True)


# ---------------------------------------------------------------------------- listing, cleaning
@dataclass(frozen=True)
class ShimConversion:
    """One conversion under ``<root>/shim/``: a bundle directory named by its content key."""

    key: str
    path: Path
    versions: tuple[VersionInfo, ...]

    @property
    def bytes(self) -> int:
        """Size of its Parquet files."""
        return sum(v.bytes for v in self.versions)

    @property
    def store_bytes(self) -> int:
        """Size of its mapped stores."""
        return sum(v.store_bytes for v in self.versions)


def shim_conversions(root: Path | str | None = None) -> list[ShimConversion]:
    """The shim's conversions under the root, sorted by key."""
    base = bundle_root(root) / SHIM_DIR
    if not base.exists():
        return []
    dirs = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [ShimConversion(d.name, d, version_infos(d)) for d in dirs]


def _conversion_lock(bundle_dir: Path) -> AbstractContextManager[None]:
    """The lock :func:`_convert` holds while writing ``bundle_dir`` (one lock file per key)."""
    return file_lock(bundle_dir.parent / f".{bundle_dir.name}.lock")


def clean_shim(keys: Iterable[str] | None = None, *, root: Path | str | None = None) -> list[str]:
    """Remove the shim's conversions: all, or those whose key starts with one of ``keys``.

    A DataPortal built later over the same readers converts them again.

    Returns:
        The removed keys.

    Raises:
        BundleNotFound: A key prefix matches no conversion.
    """
    found = shim_conversions(root)
    chosen = found
    if keys is not None:
        prefixes = list(keys)
        for prefix in prefixes:
            if not any(c.key.startswith(prefix) for c in found):
                raise BundleNotFound(prefix, bundle_root(root) / SHIM_DIR)
        chosen = [c for c in found if any(c.key.startswith(p) for p in prefixes)]
    removed = []
    for conv in chosen:
        with _conversion_lock(conv.path):
            shutil.rmtree(conv.path, ignore_errors=True)
        removed.append(conv.key)
    return removed
