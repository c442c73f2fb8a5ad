"""Fixtures for the zipline compatibility tests (skipped when zipline-reloaded is absent).

Two worlds, each built once per test process:

- ``world``: a rustybt bundle with every hard case (splits, mergers, cash and stock dividends,
  halts, a late listing, a delisting; daily and minute bars), written into zipline's bcolz /
  SQLite files with zipline's own writers. Portals: zipline's ``DataPortal``, the shim built from
  rustybt's Arrow readers and the shim built from zipline's own readers.
- ``csv_world``: the same kind of bundle (without mergers and stock dividends, which csvdir
  cannot carry) written as csvdir CSVs — halts as zero rows, zipline's "no data" — and
  ingested twice from those files: by zipline's ``csvdir`` bundle and by rustybt's csvdir source.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from rustybt.compat.zipline.reference import zipline_available

_REPO = str(Path(__file__).resolve().parents[3])
if _REPO not in sys.path:  # helpers are imported as tests.compat.zipline._* (bare pytest too)
    sys.path.insert(0, _REPO)

SKIP_REASON = (
    "zipline-reloaded is not installed (it comes with the dev extra: pip install -e .[dev])"
)


@pytest.fixture(scope="session", autouse=True)
def _require_zipline() -> None:
    if not zipline_available():  # pragma: no cover - CI installs the dev extra
        pytest.skip(SKIP_REASON)


@pytest.fixture(autouse=True)
def _quiet_zipline() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@dataclass
class World:
    """A rustybt bundle, zipline's world built from it, and shims over both."""

    bundle: Any
    zipline: Any  # ZiplineWorld
    shim_rustybt: Any  # DataPortal shim from rustybt's Arrow readers
    shim_zipline: Any  # DataPortal shim from zipline's bcolz readers
    root: Path

    @property
    def portals(self) -> dict[str, Any]:
        """The shims by label."""
        return {"rustybt_readers": self.shim_rustybt, "zipline_readers": self.shim_zipline}

    @property
    def assets(self) -> list[Any]:
        """zipline's asset objects (what zipline-era code passes)."""
        return list(self.zipline.assets())


def _shims(bundle: Any, zworld: Any, root: Path) -> tuple[Any, Any]:
    from rustybt.compat.zipline import ArrowDailyBarReader, ArrowMinuteBarReader
    from rustybt.data import DataPortal

    minute = "minute" in bundle.frequencies
    from_rustybt = DataPortal(
        zworld.asset_finder,
        zworld.calendar,
        bundle.first_session,
        equity_daily_reader=ArrowDailyBarReader(bundle),
        equity_minute_reader=ArrowMinuteBarReader(bundle) if minute else None,
    )
    from_zipline = DataPortal(
        zworld.asset_finder,
        zworld.calendar,
        zworld.first_trading_day,
        equity_daily_reader=zworld.daily_reader,
        equity_minute_reader=zworld.minute_reader,
        adjustment_reader=zworld.adjustment_reader,
        rustybt_root=root / "rustybt",
    )
    return from_rustybt, from_zipline


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from rustybt.compat.zipline.reference import build_zipline_world
    from rustybt.testing import make_bundle, zipline_cases_spec

    root = tmp_path_factory.mktemp("compat-world")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = zipline_cases_spec(sessions=60, n_assets=4, minute=True)
        bundle = make_bundle(root / "rustybt", spec, name="compat")
        zworld = build_zipline_world(bundle, root / "zipline")
        a, b = _shims(bundle, zworld, root)
    return World(bundle, zworld, a, b, root)


@pytest.fixture(scope="session")
def csv_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from rustybt.compat.zipline.reference import ingest_zipline_csvdir, write_csvdir
    from rustybt.data.bundles import ingest, register, unregister
    from rustybt.data.bundles.sources.csvdir import csvdir_ingest
    from rustybt.testing import make_bundle, zipline_cases_spec

    root = tmp_path_factory.mktemp("compat-csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = zipline_cases_spec(
            sessions=50, n_assets=4, minute=True, csv_compatible=True, seed=7
        )
        source = make_bundle(root / "source", spec, name="compat")
        csvdir = write_csvdir(source, root / "csv", ("daily", "minute"))
        zworld = ingest_zipline_csvdir(
            csvdir, root / "zipline", name="compat-csv", frequencies=("daily", "minute")
        )
        name = f"compat-csv-{id(root)}"
        register(
            name,
            csvdir_ingest(csvdir),
            start_session=source.first_session,
            end_session=source.last_session,
        )
        try:
            bundle = ingest(name, root=root / "rustybt")
        finally:
            unregister(name)
        a, b = _shims(bundle, zworld, root)
    return World(bundle, zworld, a, b, root)


def sessions_and_dts(calendar: Any, sessions: pd.DatetimeIndex) -> dict[str, list[Any]]:
    """Session labels, weekend/holiday labels, and tz-aware minutes within ``sessions``."""
    days = pd.date_range(sessions[0], sessions[-1], freq="D")
    off = [d for d in days if d not in set(sessions)]
    minutes = calendar.sessions_minutes(sessions[0], sessions[-1])
    return {"sessions": list(sessions), "off_days": off, "minutes": list(minutes)}
