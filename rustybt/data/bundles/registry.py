"""Bundle registry: register ingest functions, ingest, load, list and clean bundles on disk."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rustybt.data.bundles._lock import bundle_lock
from rustybt.data.bundles.bundle import CACHE_DIR, Bundle
from rustybt.data.bundles.format import CURRENT_POINTER, MANIFEST_FILE
from rustybt.data.bundles.manifest import Manifest
from rustybt.data.bundles.writer import TMP_PREFIX, BundleWriter
from rustybt.errors import (
    BundleNotFound,
    BundleNotRegistered,
    BundleVersionNotFound,
)

__all__ = [
    "BundleInfo",
    "IngestFunction",
    "RegisteredBundle",
    "VersionInfo",
    "bundle_root",
    "bundles",
    "clean",
    "current_version_dir",
    "ingest",
    "load",
    "register",
    "registered",
    "unregister",
]

IngestFunction = Callable[[BundleWriter], None]
"""An ingest function receives a BundleWriter and writes assets, bars and adjustments."""


def bundle_root(root: Path | str | None = None) -> Path:
    """The rustybt root: ``root``, else ``$RUSTYBT_ROOT``, else ``~/.rustybt``."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("RUSTYBT_ROOT")
    return Path(env).expanduser() if env else Path.home() / ".rustybt"


def _bundle_dir(name: str, root: Path | str | None) -> Path:
    return bundle_root(root) / "bundles" / name


@dataclass(frozen=True)
class RegisteredBundle:
    """An ingest function and the calendar settings it was registered with."""

    name: str
    ingest_fn: IngestFunction
    calendar_name: str
    start_session: pd.Timestamp | None
    end_session: pd.Timestamp | None


_REGISTRY: dict[str, RegisteredBundle] = {}


def register(
    name: str,
    ingest_fn: IngestFunction | None = None,
    *,
    calendar_name: str | None = None,
    start_session: pd.Timestamp | str | None = None,
    end_session: pd.Timestamp | str | None = None,
) -> Any:
    """Register an ingest function under ``name`` (usable as a decorator).

    Args:
        name: Bundle name.
        ingest_fn: Callable receiving a :class:`BundleWriter`.
        calendar_name: exchange-calendars name (``24/7`` works). Default: the function's
            ``calendar_name`` attribute (sources set it), else ``XNYS``.
        start_session: Optional first session; default the function's ``start_session``
            attribute, else the first bar.
        end_session: Optional last session; default the function's ``end_session``
            attribute, else the last bar.
    """

    def deco(fn: IngestFunction) -> IngestFunction:
        cal = calendar_name or getattr(fn, "calendar_name", None) or "XNYS"
        start = start_session if start_session is not None else getattr(fn, "start_session", None)
        end = end_session if end_session is not None else getattr(fn, "end_session", None)
        _REGISTRY[name] = RegisteredBundle(
            name,
            fn,
            cal,
            None if start is None else pd.Timestamp(start),
            None if end is None else pd.Timestamp(end),
        )
        return fn

    if ingest_fn is None:
        return deco
    return deco(ingest_fn)


def unregister(name: str) -> None:
    """Forget a registration (files on disk stay)."""
    if name not in _REGISTRY:
        raise BundleNotRegistered(name, list(_REGISTRY))
    del _REGISTRY[name]


def registered() -> dict[str, RegisteredBundle]:
    """A copy of the registry."""
    return dict(_REGISTRY)


def ingest(
    name: str,
    *,
    root: Path | str | None = None,
    show_progress: bool = False,
    source_extra: dict[str, Any] | None = None,
) -> Bundle:
    """Run the registered ingest function for ``name`` into a new version; return it loaded.

    Args:
        name: A registered bundle name.
        root: rustybt root (default ``$RUSTYBT_ROOT`` or ``~/.rustybt``).
        show_progress: Let the source draw a progress bar on stderr.
        source_extra: Extra JSON-able facts recorded under ``source`` in the manifest (not
            part of the content hash), e.g. the CLI arguments for a later re-ingest.

    Raises:
        BundleNotRegistered: ``name`` is not registered.
        IngestError: The input was rejected; no version was published.
    """
    try:
        reg = _REGISTRY[name]
    except KeyError:
        raise BundleNotRegistered(name, list(_REGISTRY)) from None
    bundle_dir = _bundle_dir(name, root)
    with bundle_lock(bundle_dir):  # a concurrent ingest of the same bundle waits here
        return _ingest_locked(name, reg, bundle_dir, show_progress, source_extra)


def _ingest_locked(
    name: str,
    reg: RegisteredBundle,
    bundle_dir: Path,
    show_progress: bool,
    source_extra: dict[str, Any] | None,
) -> Bundle:
    _remove_stale_temps(bundle_dir)
    writer = BundleWriter(
        bundle_dir,
        name=name,
        calendar_name=reg.calendar_name,
        start_session=reg.start_session,
        end_session=reg.end_session,
        show_progress=show_progress,
        source={"ingest_fn": _describe(reg.ingest_fn), **(source_extra or {})},
    )
    with writer:
        reg.ingest_fn(writer)
    return Bundle(writer.version_dir, name=name)


def _describe(fn: IngestFunction) -> str:
    describe = getattr(fn, "describe", None)
    if callable(describe):
        return str(describe())
    return str(getattr(fn, "__qualname__", repr(fn)))


def _remove_stale_temps(bundle_dir: Path) -> None:
    """Remove leftovers of killed ingests (hidden ``.tmp-*`` entries)."""
    if not bundle_dir.exists():
        return
    for p in bundle_dir.glob(f"{TMP_PREFIX}*"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def _version_dirs(bundle_dir: Path) -> list[Path]:
    if not bundle_dir.exists():
        return []
    return sorted(
        p
        for p in bundle_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST_FILE).exists()
    )


def _current_dir(name: str, bundle_dir: Path, root: Path | str | None) -> Path:
    pointer = bundle_dir / CURRENT_POINTER
    if not pointer.exists():
        raise BundleNotFound(name, bundle_root(root))
    return bundle_dir / pointer.read_text().strip()


def current_version_dir(name: str, root: Path | str | None = None) -> Path:
    """The directory the ``CURRENT`` pointer of bundle ``name`` names."""
    return _current_dir(name, _bundle_dir(name, root), root)


def load(name: str, version: str | None = None, *, root: Path | str | None = None) -> Bundle:
    """Load the current version of a bundle, or a given one.

    Args:
        name: Bundle name.
        version: A version directory name, or a content hash (a unique prefix is enough).
        root: rustybt root (default ``$RUSTYBT_ROOT`` or ``~/.rustybt``).
    """
    bundle_dir = _bundle_dir(name, root)
    if version is None:
        return Bundle(_current_dir(name, bundle_dir, root), name=name)
    dirs = _version_dirs(bundle_dir)
    if not dirs:
        raise BundleNotFound(name, bundle_root(root))
    for d in dirs:
        if d.name == version:
            return Bundle(d, name=name)
    matches = [d for d in dirs if Manifest.read(d).version.startswith(version)]
    if matches:
        return Bundle(matches[-1], name=name)
    raise BundleVersionNotFound(name, version, [d.name for d in dirs])


@dataclass(frozen=True)
class VersionInfo:
    """One ingested version of a bundle."""

    directory: str
    version: str
    created_at: str
    first_session: str | None
    last_session: str | None
    asset_count: int
    frequencies: tuple[str, ...]
    bytes: int
    current: bool


@dataclass(frozen=True)
class BundleInfo:
    """A bundle name with its versions on disk (oldest first) and registration."""

    name: str
    registered: bool
    versions: tuple[VersionInfo, ...]


def bundles(root: Path | str | None = None) -> list[BundleInfo]:
    """Every bundle registered or present under the root, with its versions."""
    base = bundle_root(root) / "bundles"
    names = set(_REGISTRY)
    if base.exists():
        names |= {p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")}
    out = []
    for name in sorted(names):
        bdir = base / name
        pointer = bdir / CURRENT_POINTER
        current = pointer.read_text().strip() if pointer.exists() else None
        versions = []
        for d in _version_dirs(bdir):
            m = Manifest.read(d)
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
                )
            )
        out.append(BundleInfo(name, name in _REGISTRY, tuple(versions)))
    return out


def clean(name: str, keep: int = 1, *, root: Path | str | None = None) -> list[str]:
    """Remove all but the newest ``keep`` versions (never the current one) and stale caches.

    Returns the removed version directory names.
    """
    if keep < 1:
        raise ValueError("keep must be ≥ 1")
    bundle_dir = _bundle_dir(name, root)
    dirs = _version_dirs(bundle_dir)
    if not dirs:
        raise BundleNotFound(name, bundle_root(root))
    with bundle_lock(bundle_dir):  # never while an ingest of this bundle is writing
        dirs = _version_dirs(bundle_dir)
        current = _current_dir(name, bundle_dir, root).name
        keep_dirs = {d.name for d in dirs[-keep:]} | {current}
        removed = []
        for d in dirs:
            if d.name not in keep_dirs:
                shutil.rmtree(d)
                removed.append(d.name)
        live = {Manifest.read(bundle_dir / d).version for d in keep_dirs}
        cache = bundle_dir / CACHE_DIR
        if cache.exists():
            for entry in cache.iterdir():
                if entry.name not in live:
                    shutil.rmtree(entry, ignore_errors=True)
        _remove_stale_temps(bundle_dir)
    return removed
