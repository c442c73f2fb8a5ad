"""The per-bundle lock: ``<bundle_dir>/.lock``, so two ingests (or an ingest and a clean) never
interleave. The locking itself is :func:`rustybt._fs.file_lock` (released by the kernel if
the holder dies, so a killed ingest never leaves the bundle locked)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from rustybt._fs import file_lock

__all__ = ["LOCK_FILE", "bundle_lock"]

LOCK_FILE = ".lock"


def bundle_lock(bundle_dir: Path) -> AbstractContextManager[None]:
    """Hold ``<bundle_dir>/.lock`` exclusively (blocking) for the duration of a ``with`` block."""
    return file_lock(Path(bundle_dir) / LOCK_FILE)
