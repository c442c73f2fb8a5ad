"""Bundle registry: register ingest functions, ingest, load, list and clean bundles on disk.

Layout of the rustybt root (``bundle_root()``)::

    <root>/bundles/<name>/<version dir>/    one published version (Parquet + manifest.json)
    <root>/bundles/<name>/CURRENT           the current version's directory name
    <root>/bundles/<name>/.cache/<hash>/    derived data of a version (the mapped store)
    <root>/shim/<key>/                      zipline shim conversions (same layout as a bundle)
    <root>/extension.py                     user extension, loaded by the CLI

Invariant: a bundle directory never holds two versions with the same content hash. An ingest
whose content equals an existing version publishes nothing new: its temp dir is dropped and
the existing version becomes current (:class:`_ReusingWriter`).
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rustybt.data.bundles._lock import bundle_lock
from rustybt.data.bundles.bundle import CACHE_DIR, Bundle
from rustybt.data.bundles.format import CURRENT_POINTER
from rustybt.data.bundles.inventory import (
    VersionInfo,
    remove_stale_temps,
    remove_version,
    switch_current,
    tree_bytes,
    version_dirs,
    version_infos,
)
from rustybt.data.bundles.manifest import Manifest
from rustybt.data.bundles.writer import BundleWriter
from rustybt.errors import (
    BundleCorrupted,
    BundleNotFound,
    BundleNotRegistered,
    BundleVersionNotFound,
    InvalidBundleName,
)

__all__ = [
    "EXTENSION_FILE",
    "SHIM_DIR",
    "BundleInfo",
    "IngestFunction",
    "RegisteredBundle",
    "VersionInfo",
    "bundle_root",
    "bundles",
    "check_name",
    "clean",
    "current_version_dir",
    "ingest",
    "load",
    "register",
    "registered",
    "tree_bytes",
    "unregister",
    "version_infos",
]

SHIM_DIR = "shim"
"""Folder under the root holding the zipline shim's conversions (one bundle dir per key)."""
EXTENSION_FILE = "extension.py"
"""User extension file under the root, loaded by the CLI before any command."""

IngestFunction = Callable[[BundleWriter], None]
"""An ingest function receives a BundleWriter and writes assets, bars and adjustments."""


def bundle_root(root: Path | str | None = None) -> Path:
    """The rustybt root: ``root``, else ``$RUSTYBT_ROOT``, else ``~/.rustybt``."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("RUSTYBT_ROOT")
    return Path(env).expanduser() if env else Path.home() / ".rustybt"


_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


def check_name(name: object) -> str:
    """``name`` if it is a valid bundle name, else :class:`InvalidBundleName`.

    A name is one path component: 1-128 letters, digits, ``.``, ``_`` or ``-``, not starting
    with ``.`` or ``-`` (so never ``..``, a hidden temp entry or an option-looking word).
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidBundleName(
            f"invalid bundle name {name!r}: use 1-128 letters, digits, '.', '_' or '-', "
            "not starting with '.' or '-' (a name is one directory under the root)"
        )
    return name


def _bundle_dir(name: str, root: Path | str | None) -> Path:
    return bundle_root(root) / "bundles" / check_name(name)


def _version_of(version_dir: Path) -> str | None:
    """The content hash of a version directory, None when its manifest is damaged."""
    try:
        return Manifest.read(version_dir).version
    except BundleCorrupted:
        return None


class _ReusingWriter(BundleWriter):
    """A writer that reuses an existing version with the same content hash.

    At publish time the new version's manifest is complete in the temp dir: when a version
    directory of ``bundle_dir`` already has that content hash, the temp dir is dropped and
    that directory becomes current, so identical content is stored once.
    """

    def _publish(self) -> None:
        version = Manifest.read(self.tmp_dir).version
        for d in version_dirs(self.bundle_dir):
            if _version_of(d) == version:
                shutil.rmtree(self.tmp_dir)
                switch_current(self.bundle_dir, d.name)
                self._version_dir = d
                return
        super()._publish()


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

    Raises:
        InvalidBundleName: ``name`` is not one plain path component.
    """
    check_name(name)

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

    When the content equals an existing version (same content hash), no copy is made: that
    version becomes current and is returned.

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
    bundle_dir = _bundle_dir(name, root)
    try:
        reg = _REGISTRY[name]
    except KeyError:
        raise BundleNotRegistered(name, list(_REGISTRY)) from None
    with bundle_lock(bundle_dir):  # a concurrent ingest of the same bundle waits here
        return _ingest_locked(name, reg, bundle_dir, show_progress, source_extra)


def _ingest_locked(
    name: str,
    reg: RegisteredBundle,
    bundle_dir: Path,
    show_progress: bool,
    source_extra: dict[str, Any] | None,
) -> Bundle:
    remove_stale_temps(bundle_dir)
    writer = _ReusingWriter(
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
    dirs = version_dirs(bundle_dir)
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
    return [BundleInfo(n, n in _REGISTRY, version_infos(base / n)) for n in sorted(names)]


def _utc(when: pd.Timestamp | str | _dt.datetime) -> pd.Timestamp:
    ts = pd.Timestamp(when)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _doomed(
    dirs: list[Path],
    keep: int | None,
    before: pd.Timestamp | None,
    after: pd.Timestamp | None,
) -> list[Path]:
    if keep is not None:
        return dirs[:-keep]
    out = []
    for d in dirs:
        created = _utc(Manifest.read(d).created_at)
        if (before is not None and created < before) or (after is not None and created > after):
            out.append(d)
    return out


def clean(
    name: str,
    keep: int | None = None,
    *,
    before: pd.Timestamp | str | _dt.datetime | None = None,
    after: pd.Timestamp | str | _dt.datetime | None = None,
    root: Path | str | None = None,
) -> list[str]:
    """Remove old versions of a bundle (never the current one) and caches of removed ones.

    Like zipline's ``clean``: either keep the newest ``keep`` versions (default 1), or remove
    the versions ingested strictly ``before`` and/or ``after`` a time (naive times are UTC).

    Args:
        name: Bundle name.
        keep: Newest versions to keep (≥ 1); not together with ``before``/``after``.
        before: Remove versions created before this time.
        after: Remove versions created after this time.
        root: rustybt root (default ``$RUSTYBT_ROOT`` or ``~/.rustybt``).

    Returns:
        The removed version directory names.
    """
    if keep is not None and (before is not None or after is not None):
        raise ValueError("pass keep, or before/after, not both")
    if before is None and after is None:
        keep = 1 if keep is None else keep
        if keep < 1:
            raise ValueError("keep must be ≥ 1")
    lo = None if before is None else _utc(before)
    hi = None if after is None else _utc(after)
    bundle_dir = _bundle_dir(name, root)
    if not version_dirs(bundle_dir):
        raise BundleNotFound(name, bundle_root(root))
    with bundle_lock(bundle_dir):  # never while an ingest of this bundle is writing
        dirs = version_dirs(bundle_dir)
        current = _current_dir(name, bundle_dir, root).name
        removed = []
        for d in _doomed(dirs, keep, lo, hi):
            if d.name != current:
                remove_version(d)
                removed.append(d.name)
        live = {_version_of(d) for d in version_dirs(bundle_dir)}
        cache = bundle_dir / CACHE_DIR
        if cache.exists():
            for entry in cache.iterdir():
                if entry.name not in live:
                    shutil.rmtree(entry, ignore_errors=True)
        remove_stale_temps(bundle_dir)
    return removed
