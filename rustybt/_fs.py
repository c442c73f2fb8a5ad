"""Filesystem primitives, written once: atomic writes, fsync, an inter-process lock, file hashes.

Design and invariants:

- :func:`atomic_path` / :func:`atomic_write`: the new content goes to a temporary file in the
  destination's own directory (same filesystem, so the rename is atomic) named
  ``.tmp-<name>-<pid>-<uuid>`` (hidden; the bundle writer's ``.tmp-`` sweep removes leftovers
  of a killed process). The file is fsynced, ``os.replace``-d over the destination, and the
  directory is fsynced so the rename itself survives a crash. A reader sees the old content or
  the new, never a partial file; on any error the temporary file is removed and the
  destination is untouched.
- :func:`file_lock`: an exclusive, blocking (optionally time-limited) lock held by
  ``filelock.FileLock`` (``flock`` on POSIX). The kernel releases it when the holder dies, so a
  killed process never leaves it held; the lock file stays in place (waiters must share its
  inode). Every call takes a fresh lock, so two threads of one process exclude each other just
  as two processes do (the lock is not reentrant).
- :func:`sweep_temps`: a killed writer leaves its ``.tmp-<name>-<pid>-<uuid>`` behind. For a
  destination only ever written under a :func:`file_lock`, the leftovers are removed while
  holding that lock, and only when it is free right now: a live writer holds it for as long as
  its temporary file exists, so its file is never removed.
- :func:`file_digest` / :func:`update_digest`: ``hashlib.file_digest`` (no Python read loop).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rustybt.errors import LockTimeout

__all__ = [
    "TMP_PREFIX",
    "atomic_path",
    "atomic_write",
    "file_digest",
    "file_lock",
    "fsync_dir",
    "fsync_file",
    "sweep_temps",
    "update_digest",
]

TMP_PREFIX = ".tmp-"
_POLL_S = 0.01
#: What :func:`atomic_path` appends to ``TMP_PREFIX + name``: ``-<pid>-<uuid4 hex>``.
_TMP_TAIL = re.compile(r"-[0-9]+-[0-9a-f]{32}")


def fsync_file(path: Path) -> None:
    """Flush a written file's content to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """fsync a directory, so creations and renames inside it are durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path to write; on a clean exit it atomically becomes ``path``.

    Use it for writers that want a file name (pyarrow, pandas)::

        with atomic_path(dest) as tmp:
            pq.write_table(table, tmp)

    On a clean exit the temporary file is fsynced, replaces ``path`` and the directory is
    fsynced. On an exception it is deleted and ``path`` is left as it was.

    Args:
        path: The destination; its directory must exist.
    """
    path = Path(path)
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}-{os.getpid()}-{uuid.uuid4().hex}")
    try:
        yield tmp
        fsync_file(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    fsync_dir(path.parent)


def atomic_write(path: Path, data: bytes | str, *, encoding: str = "utf-8") -> None:
    """Replace ``path``'s content with ``data`` atomically and durably (see :func:`atomic_path`).

    Args:
        path: The destination; its directory must exist.
        data: Bytes, or text encoded with ``encoding``.
        encoding: Encoding of text ``data``.
    """
    blob = data.encode(encoding) if isinstance(data, str) else bytes(data)
    with atomic_path(path) as tmp, open(tmp, "xb") as fh:
        fh.write(blob)


@contextlib.contextmanager
def file_lock(path: Path, *, timeout: float | None = None) -> Iterator[None]:
    """Hold ``path`` as an exclusive inter-process lock for the duration of the block.

    The file (and its directory) is created when missing and left in place afterwards.

    Args:
        path: The lock file.
        timeout: Seconds to wait at most; None waits as long as it takes.

    Raises:
        LockTimeout: ``timeout`` passed while another holder kept the lock.
    """
    import filelock  # here, not at the top: the portal's hot paths never need it (measured:
    # with filelock imported, pandas frame construction in the same process ran ~4 µs slower)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(path)
    try:
        lock.acquire(timeout=-1 if timeout is None else timeout, poll_interval=_POLL_S)
    except filelock.Timeout as exc:
        raise LockTimeout(f"{path}: still locked by another process after {timeout}s") from exc
    try:
        yield
    finally:
        lock.release()


def sweep_temps(path: Path, lock: Path) -> list[Path]:
    """Remove :func:`atomic_path` leftovers of ``path`` that no live writer owns.

    Only for a destination every writer writes while holding ``lock`` (:func:`file_lock`):
    the leftovers are removed under that lock, taken without waiting; when another holder has
    it (a write in progress, maybe of one of these files) nothing is removed. Listing the
    directory is the only cost when there is nothing to remove.

    Args:
        path: The destination whose temporary files to remove.
        lock: The lock file its writers hold.

    Returns:
        The removed files.
    """
    path = Path(path)
    prefix = f"{TMP_PREFIX}{path.name}"
    try:
        names = [n for n in os.listdir(path.parent)
                 if n.startswith(prefix) and _TMP_TAIL.fullmatch(n, len(prefix))]
    except FileNotFoundError:
        return []
    if not names:
        return []
    removed = []
    try:
        with file_lock(lock, timeout=0):
            for name in names:
                stale = path.parent / name
                with contextlib.suppress(FileNotFoundError):  # a writer published it meanwhile
                    stale.unlink()
                    removed.append(stale)
    except LockTimeout:  # a live writer: its file stays
        return []
    return removed


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's content (``hashlib.file_digest``).

    Args:
        path: The file.
        algorithm: A ``hashlib`` algorithm name.
    """
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, algorithm).hexdigest()


def update_digest(h: Any, path: Path) -> None:
    """Feed a file's content into a running ``hashlib`` object ``h`` (for keys over many files).

    Args:
        h: A ``hashlib`` hash object; updated in place.
        path: The file.
    """
    with open(path, "rb") as fh:
        hashlib.file_digest(fh, lambda: h)
