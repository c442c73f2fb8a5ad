"""What is on disk in a bundle directory: its versions, their sizes, the CURRENT pointer.

A bundle directory (``<root>/bundles/<name>/``, or a shim conversion ``<root>/shim/<key>/``)
holds published version directories (each with ``manifest.json``), the ``CURRENT`` pointer,
``.cache/<content hash>/`` with derived data, and hidden ``.tmp-*`` leftovers of killed
ingests. Functions here read and switch that layout; callers hold the bundle lock.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from rustybt._fs import TMP_PREFIX, atomic_write
from rustybt.data.bundles.bundle import CACHE_DIR
from rustybt.data.bundles.format import CURRENT_POINTER, MANIFEST_FILE
from rustybt.data.bundles.manifest import Manifest
from rustybt.errors import BundleCorrupted

__all__ = [
    "VersionInfo",
    "remove_stale_temps",
    "remove_version",
    "switch_current",
    "tree_bytes",
    "version_dirs",
    "version_infos",
]


@dataclass(frozen=True)
class VersionInfo:
    """One ingested version of a bundle.

    ``bytes`` is the size of its Parquet files; ``store_bytes`` the size of its derived data
    (``<bundle dir>/.cache/<version>/``: the mapped store), 0 when none was built.
    """

    directory: str
    version: str
    created_at: str
    first_session: str | None
    last_session: str | None
    asset_count: int
    frequencies: tuple[str, ...]
    bytes: int
    current: bool
    store_bytes: int = 0
    error: str | None = None
    """Why the version cannot be read (its manifest is damaged), else None."""


def tree_bytes(path: Path) -> int:
    """Total size of the files under ``path`` (0 when it does not exist)."""
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def version_infos(bundle_dir: Path) -> tuple[VersionInfo, ...]:
    """The versions in a bundle directory, oldest first (also used for shim conversions)."""
    pointer = bundle_dir / CURRENT_POINTER
    current = pointer.read_text().strip() if pointer.exists() else None
    versions = []
    for d in version_dirs(bundle_dir):
        try:
            m = Manifest.read(d)
        except BundleCorrupted as exc:  # listed and marked: one broken version hides nothing
            versions.append(VersionInfo(d.name, "?", "?", None, None, 0, (), tree_bytes(d),
                                        d.name == current, error=str(exc)))
            continue
        versions.append(
            VersionInfo(
                directory=d.name,
                version=m.version,
                created_at=m.created_at,
                first_session=m.first_session,
                last_session=m.last_session,
                asset_count=m.asset_count,
                frequencies=m.frequencies,
                bytes=m.total_bytes,
                current=d.name == current,
                store_bytes=tree_bytes(bundle_dir / CACHE_DIR / m.version),
            )
        )
    return tuple(versions)


def switch_current(bundle_dir: Path, directory: str) -> None:
    """Atomically and durably point ``CURRENT`` at ``directory``."""
    atomic_write(bundle_dir / CURRENT_POINTER, directory + "\n")


def remove_stale_temps(bundle_dir: Path) -> None:
    """Remove leftovers of killed ingests (hidden ``.tmp-*`` entries)."""
    if not bundle_dir.exists():
        return
    for p in bundle_dir.glob(f"{TMP_PREFIX}*"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def remove_version(version_dir: Path) -> None:
    """Remove a published version so a reader sees all of it or none of it.

    The directory is renamed to a hidden ``.tmp-`` name first (atomic), then deleted: a
    reader never finds it half-removed (which would look like a corrupted version), and a
    kill mid-delete leaves a leftover that :func:`remove_stale_temps` sweeps.
    """
    doomed = version_dir.with_name(f"{TMP_PREFIX}removed-{version_dir.name}-{uuid.uuid4().hex}")
    os.replace(version_dir, doomed)
    shutil.rmtree(doomed)


def version_dirs(bundle_dir: Path) -> list[Path]:
    """Published version directories of a bundle directory, sorted (oldest first)."""
    if not bundle_dir.exists():
        return []
    return sorted(
        p
        for p in bundle_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST_FILE).exists()
    )
