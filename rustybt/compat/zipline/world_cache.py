"""One zipline world per bundle version, built once and opened by every later caller.

:func:`cached_zipline_world` keeps the world :func:`~rustybt.compat.zipline.reference.
build_zipline_world` writes from a bundle under ``<cache>/<bundle.version>``: the benchmark
scripts of one suite run (and the repeated processes of one script) open it instead of writing
bcolz again. Invariants: the key is the bundle's content hash, so a changed bundle gets its own
world; a world appears under its final name only once complete (written into a temporary
sibling, then renamed), so no reader opens a half-written one; two processes building the same
version at once each write their own copy, the first rename wins and the other is removed.
:func:`open_zipline_world` opens a world written earlier (zipline's readers and portal).

zipline-reloaded must be importable; importing this module does not import zipline.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from rustybt.compat.zipline.reference import (
    _ADJUSTMENTS,
    _ASSETS_DB,
    _DAILY_BCOLZ,
    _MINUTE_BCOLZ,
    ZiplineWorld,
    _zipline_calendar,
    build_zipline_world,
    zipline_world,
)
from rustybt.data.bundles import Bundle

__all__ = ["cached_zipline_world", "open_zipline_world"]


def open_zipline_world(bundle: Bundle, directory: Path | str) -> ZiplineWorld:
    """Open the world :func:`build_zipline_world` wrote from ``bundle`` into ``directory``.

    Raises:
        FileNotFoundError: ``directory`` lacks the asset database or the adjustments (not a
            complete world), naming the missing file.
    """
    from zipline.assets import AssetFinder
    from zipline.assets.asset_db_schema import ASSET_DB_VERSION
    from zipline.data.adjustments import SQLiteAdjustmentReader
    from zipline.data.bcolz_daily_bars import BcolzDailyBarReader
    from zipline.data.bcolz_minute_bars import BcolzMinuteBarReader

    path = Path(directory)
    assets_db = path / _ASSETS_DB.format(version=ASSET_DB_VERSION)
    for required in (assets_db, path / _ADJUSTMENTS):
        if not required.exists():
            raise FileNotFoundError(
                f"{required} is missing: {path} is not a complete zipline world of bundle "
                f"{bundle.name} (version {bundle.version[:12]})"
            )
    daily = path / _DAILY_BCOLZ
    minute = path / _MINUTE_BCOLZ
    daily_reader = BcolzDailyBarReader(str(daily)) if daily.exists() else None
    minute_reader = BcolzMinuteBarReader(str(minute)) if minute.exists() else None
    asset_finder = AssetFinder(str(assets_db))
    adjustment_reader = SQLiteAdjustmentReader(str(path / _ADJUSTMENTS))
    return zipline_world(path, asset_finder, _zipline_calendar(bundle), daily_reader,
                         minute_reader, adjustment_reader, bundle.first_session)


def cached_zipline_world(bundle: Bundle, cache: Path | str) -> ZiplineWorld:
    """``bundle``'s world under ``cache/<bundle.version>``: built there the first time, opened
    afterwards (module notes: complete or absent, a lost build race is harmless)."""
    root = Path(cache)
    final = root / bundle.version
    if not final.exists():
        root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{bundle.version[:12]}-", dir=root))
        try:
            build_zipline_world(bundle, scratch / "world")
            try:
                os.rename(scratch / "world", final)
            except OSError:
                if not final.exists():  # not a lost race: a real error
                    raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return open_zipline_world(bundle, final)
