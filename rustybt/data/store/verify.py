"""Verify the mapped store files of a bundle version in full, rebuilding those that fail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from rustybt.data.bundles.protocol import BundleLike
from rustybt.data.store import build as B
from rustybt.data.store import format as F
from rustybt.data.store.mapped import MappedStore, ensure_store
from rustybt.errors import StoreCorrupted

__all__ = ["StoreCheck", "verify_stores"]


@dataclass(frozen=True)
class StoreCheck:
    """The outcome for one store file: ``status`` is ``'ok'``, ``'absent'`` (not built yet),
    ``'rebuilt'`` or ``'corrupted'`` (left as it is); ``detail`` says what failed."""

    name: str
    status: str
    detail: str = ""


def verify_stores(bundle: BundleLike, *, rebuild: bool = True) -> list[StoreCheck]:
    """Re-hash every built store file of ``bundle`` in full; rebuild (or report) failures.

    Missing files are reported ``'absent'`` and not built. A rebuild re-reads the bundle's
    files against the manifest (``BundleCorrupted`` if they fail).
    """
    cache, version = Path(bundle.cache_dir), str(bundle.version)

    def opened(name: str, kind: str, build: Callable[[], pa.RecordBatch]) -> MappedStore:
        return ensure_store(cache, name, kind, version, build)

    def calendar() -> MappedStore:
        return opened(F.CALENDAR_FILE, "calendar", lambda: B.build_calendar(bundle))

    def minute_index() -> MappedStore:
        c = calendar().columns
        return opened(F.MINUTE_INDEX_FILE, "minute_index", lambda: B.build_minute_index(
            bundle, c["session"], c["first_minute"], c["last_minute"]))

    builders: dict[str, Callable[[], pa.RecordBatch]] = {
        "calendar": lambda: B.build_calendar(bundle),
        "daily": lambda: B.build_daily(
            bundle, calendar().columns["session"], calendar().columns["last_minute"]),
        "minute": lambda: B.build_minute(bundle, minute_index().columns["minute"]),
    }
    out: list[StoreCheck] = []
    for name, kind in F.STORE_FILES:
        path = cache / name
        if not path.exists():
            out.append(StoreCheck(name, "absent"))
            continue
        try:
            MappedStore(path, kind, version, full_check=True)
            out.append(StoreCheck(name, "ok"))
            continue
        except StoreCorrupted as exc:
            detail = str(exc)
        if not rebuild:
            out.append(StoreCheck(name, "corrupted", detail))
            continue
        path.unlink()
        if kind == "minute_index":
            minute_index()
        else:
            ensure_store(cache, name, kind, version, builders[kind])
        out.append(StoreCheck(name, "rebuilt", detail))
    return out
