"""``BundleConnectionPool``: one mapped portal per bundle per process (the PRD's Layer 3).

Workers open bundles by name/path through :meth:`BundleConnectionPool.portal`: the first call
in a process maps the bundle's Arrow store (pages shared through the OS page cache with every
other process mapping the same files); later calls return the same portal. The pool is a
process-wide singleton, thread-safe and lazy, and an entry is dropped when the bundle's
current version (content hash) changes, so a re-ingest is picked up by the next trial.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar

__all__ = ["BundleConnectionPool"]


class BundleConnectionPool:
    """Process-wide cache: (root, bundle name) → (version hash, ArrowDataPortal)."""

    _instance: ClassVar[BundleConnectionPool | None] = None
    _instance_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._portals: dict[tuple[str, str], tuple[str, Any]] = {}
        self.opened = 0  # portals built by this process (tests and benchmarks read it)

    @classmethod
    def instance(cls) -> BundleConnectionPool:
        """This process's pool (created on first use)."""
        if cls._instance is None:
            with cls._instance_lock:
                if cls._instance is None:
                    cls._instance = cls()
        return cls._instance

    def portal(self, bundle: str, root: str | Path | None = None) -> Any:
        """The mapped portal of ``bundle``'s current version (opened once per version)."""
        from rustybt.data.bundles.registry import load
        from rustybt.data.portal.portal import ArrowDataPortal

        key = (str(Path(root).resolve()) if root is not None else "", bundle)
        loaded = load(bundle, root=root)
        version = loaded.version
        with self._lock:
            held = self._portals.get(key)
            if held is not None and held[0] == version:
                return held[1]
            portal = ArrowDataPortal(loaded)
            self._portals[key] = (version, portal)
            self.opened += 1
            return portal

    def drop_stale(self, bundle: str, root: str | Path | None, version: str) -> bool:
        """Drop ``bundle``'s portal when it maps another version than ``version``."""
        key = (str(Path(root).resolve()) if root is not None else "", bundle)
        with self._lock:
            held = self._portals.get(key)
            if held is None or held[0] == version:
                return False
            del self._portals[key]
            return True

    def clear(self) -> None:
        """Forget every portal (their maps close when no trial holds them)."""
        with self._lock:
            self._portals.clear()
