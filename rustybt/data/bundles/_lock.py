"""An exclusive per-bundle lock, so two ingests (or an ingest and a clean) never interleave."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["LOCK_FILE", "bundle_lock"]

LOCK_FILE = ".lock"

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no inter-process lock
    fcntl = None  # type: ignore[assignment]


@contextmanager
def bundle_lock(bundle_dir: Path) -> Iterator[None]:
    """Hold ``<bundle_dir>/.lock`` exclusively (blocking) for the duration of the block.

    The lock is advisory (``flock``) and released by the kernel if the process dies, so a
    killed ingest never leaves the bundle locked.
    """
    bundle_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(bundle_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock
