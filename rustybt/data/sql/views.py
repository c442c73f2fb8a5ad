"""The relations every bundle SQL query can use, and how they are built from a bundle.

Bars stay on disk: ``daily_bars`` / ``minute_bars`` are views over pyarrow datasets of the
bundle's Parquet files (registered per connection as ``_rb_daily`` / ``_rb_minute``). The small
tables (assets, adjustments, sessions) are copied into the read-only catalog when it is built.

``daily_bars_adjusted`` follows the portal's (zipline's) rule, seen from the bundle's last
session P: ``adjusted[t] = raw[t] × Π ratio`` over adjustments with ``t < effective_date ≤ P``;
prices use splits, mergers and dividends (the ``ratio`` fixed at ingest, NaN ratios ignored);
volume is divided by the split ratios only.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pds
import pyarrow.parquet as pq

from rustybt._fs import atomic_path, file_lock, sweep_temps
from rustybt.data.bundles.format import (
    ASSETS_FILE,
    DAILY_SCHEMA,
    DIVIDENDS_FILE,
    MERGERS_FILE,
    MINUTE_SCHEMA,
    SPLITS_FILE,
    STOCK_DIVIDENDS_FILE,
    SYMBOL_HISTORY_FILE,
)
from rustybt.data.sql.sandbox import CATALOG

if TYPE_CHECKING:
    import duckdb

    from rustybt.data.bundles.bundle import Bundle

__all__ = [
    "INTERNAL_SCHEMA",
    "PUBLIC_RELATIONS",
    "BundleSources",
    "build_catalog",
    "load_sources",
    "qualified",
]

# Registered per connection, so they live in DuckDB's per-connection ``temp`` catalog.
DAILY_SOURCE = "temp.main._rb_daily"
MINUTE_SOURCE = "temp.main._rb_minute"
_DAILY_NAME = "_rb_daily"
_MINUTE_NAME = "_rb_minute"

# name → (kind, description) of what users can query, in documentation order.
PUBLIC_RELATIONS: dict[str, str] = {
    "daily_bars": "raw daily bars: sid, date, open, high, low, close, volume",
    "daily_bars_adjusted": "daily bars adjusted as of the last session (volume DOUBLE)",
    "minute_bars": "raw minute bars: sid, dt (UTC, right-labelled), open, high, low, close, volume",
    "assets": "one row per asset: sid, symbol, asset_name, exchange, lifetime dates",
    "symbol_history": "symbol spans: sid, symbol, start_date, end_date",
    "splits": "sid, effective_date, ratio",
    "mergers": "sid, effective_date, ratio",
    "dividends": "sid, ex_date, record_date, declared_date, pay_date, amount, ratio",
    "stock_dividends": "sid, ex_date, record_date, declared_date, pay_date, payment_sid, ratio",
    "sessions": "session (DATE), open, close (TIMESTAMPTZ, UTC): every session of the bundle",
    "daily_adjustment_factors": "sid, date, price_factor, volume_factor per daily bar",
}

INTERNAL_SCHEMA = "rb"
"""Schema of the bundle catalog holding every relation; ``main`` holds thin public views of them.

DuckDB looks names up in the connection's ``temp`` catalog first, and a view's stored SQL drops
its own catalog name, so an internal view naming ``main.splits`` would read a user's
``TEMP VIEW splits``. Users cannot create a schema in ``temp`` (nor anything in the read-only
catalog), so ``rb.<name>`` always means the bundle's own relation.
"""


def qualified(name: str) -> str:
    """``bundle.rb.<name>``: the bundle's own relation, never a user's TEMP object."""
    return f"{CATALOG}.{INTERNAL_SCHEMA}.{name}"


_INTERNAL = ("_rb_price_factors", "_rb_volume_factors", "_rb_daily_factored")
_Q = {name: qualified(name) for name in (*PUBLIC_RELATIONS, *_INTERNAL)}

_SMALL_TABLES: dict[str, str] = {
    "assets": ASSETS_FILE,
    "symbol_history": SYMBOL_HISTORY_FILE,
    "splits": SPLITS_FILE,
    "mergers": MERGERS_FILE,
    "dividends": DIVIDENDS_FILE,
    "stock_dividends": STOCK_DIVIDENDS_FILE,
}


@dataclass(frozen=True)
class BundleSources:
    """What a catalog is built from: bar datasets, small tables and the last session."""

    daily: pds.Dataset
    minute: pds.Dataset
    tables: dict[str, pa.Table]
    last_session: pd.Timestamp | None

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Register the bar datasets on one connection (views bind to them by name)."""
        con.register(_DAILY_NAME, self.daily)
        con.register(_MINUTE_NAME, self.minute)


# DuckDB without the ICU extension (which the sandbox cannot load) handles TIMESTAMPTZ in
# microseconds well (comparisons, date_trunc, ::TIMESTAMP, filter pushdown) but hardly
# TIMESTAMPTZ_NS, so minute timestamps are read as microseconds (exact for minute bars).
_UTC_US = pa.timestamp("us", tz="UTC")
_MINUTE_SQL_SCHEMA = MINUTE_SCHEMA.set(
    MINUTE_SCHEMA.get_field_index("dt"), pa.field("dt", _UTC_US, nullable=False)
)


def _bar_dataset(folder: Path, schema: pa.Schema) -> pds.Dataset:
    files = sorted(str(p) for p in folder.glob("*.parquet")) if folder.exists() else []
    return pds.dataset(files, schema=schema, format="parquet")


SESSIONS_CACHE = "sessions-v2.parquet"
"""The sessions table's cache file in ``<bundle cache dir>/sql/`` (derived, rebuilt when wrong)."""
_K_VERSION = b"rustybt.bundle_version"
_K_CALENDAR = b"rustybt.calendar"
_K_DIGEST = b"rustybt.sha256"
_SESSIONS_SCHEMA = pa.schema(
    [pa.field("session", pa.date32()), pa.field("open", _UTC_US), pa.field("close", _UTC_US)]
)


def _digest(table: pa.Table) -> str:
    """sha256 over the sessions table's values (an edited file fails it)."""
    h = hashlib.sha256()
    for name, as_int in (("session", pa.int32()), ("open", pa.int64()), ("close", pa.int64())):
        h.update(table.column(name).cast(as_int).to_numpy().tobytes())
    return h.hexdigest()


def _cached_sessions(bundle: Bundle, cache: Path) -> pa.Table | None:
    """The cached sessions table if it was built for this very version, else None.

    The file's metadata must name the bundle's version and calendar and hold the digest of its
    values, its schema must be the sessions schema and its first/last session the manifest's:
    a file copied from another version, edited, or left by an older rustybt is rebuilt.
    """
    try:
        table = pq.read_table(cache)
    except (OSError, pa.ArrowInvalid):  # missing or damaged: rebuilt
        return None
    meta = table.schema.metadata or {}
    if (meta.get(_K_VERSION) != str(bundle.version).encode()
            or meta.get(_K_CALENDAR) != bundle.calendar_name.encode()
            or not table.schema.remove_metadata().equals(_SESSIONS_SCHEMA)
            or meta.get(_K_DIGEST) != _digest(table).encode()):
        return None
    days = table.column("session")
    span = (None, None) if not len(days) else (f"{days[0].as_py():%Y-%m-%d}",
                                               f"{days[-1].as_py():%Y-%m-%d}")
    if span != (bundle.manifest.first_session, bundle.manifest.last_session):
        return None
    return table.replace_schema_metadata(None)


def _sessions_table(bundle: Bundle) -> pa.Table:
    """Sessions with their UTC open/close, cached as Parquet in the bundle's cache dir.

    The cache is checked against the version (:func:`_cached_sessions`); it is written under
    a lock, so leftovers of a killed writer are swept (``_fs.sweep_temps``) safely.
    """
    cache = bundle.cache_dir / "sql" / SESSIONS_CACHE
    lock = cache.with_name(f".{SESSIONS_CACHE}.lock")
    with contextlib.suppress(OSError):  # pragma: no branch - a read-only cache dir
        sweep_temps(cache, lock)
    table = _cached_sessions(bundle, cache)
    if table is not None:
        return table
    if bundle.manifest.first_session is None:  # pragma: no cover - a bundle without bars
        sessions = pd.DatetimeIndex([])
        opens = closes = pd.DatetimeIndex([], tz="UTC")
    else:
        sessions = bundle.sessions
        schedule = bundle.calendar.schedule.loc[sessions]
        opens = pd.DatetimeIndex(schedule["open"])
        closes = pd.DatetimeIndex(schedule["close"])
    table = pa.table(
        {
            "session": pa.array(sessions.to_numpy(dtype="datetime64[ns]")).cast(pa.date32()),
            "open": pa.array(opens.as_unit("us"), type=_UTC_US),
            "close": pa.array(closes.as_unit("us"), type=_UTC_US),
        },
        schema=_SESSIONS_SCHEMA,
    )
    keyed = table.replace_schema_metadata({_K_VERSION: str(bundle.version),
                                           _K_CALENDAR: bundle.calendar_name,
                                           _K_DIGEST: _digest(table)})
    try:  # derived data: best effort, atomic (readers never see a partial file)
        cache.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(lock), atomic_path(cache) as tmp:
            pq.write_table(keyed, tmp)
    except OSError:  # pragma: no cover - read-only cache dir
        pass
    return table


def _read(bundle: Bundle, path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except FileNotFoundError as exc:
        raise bundle.missing(path) from exc


def load_sources(bundle: Bundle) -> BundleSources:
    """Open the bundle's bar datasets and read its small tables.

    Raises:
        BundleVersionRemoved: The version directory is gone (``clean``).
    """
    bundle.check_present()
    tables = {name: _read(bundle, bundle.path / rel) for name, rel in _SMALL_TABLES.items()}
    tables["sessions"] = _sessions_table(bundle)
    last = bundle.manifest.last_session
    return BundleSources(
        daily=_bar_dataset(bundle.daily_dir, DAILY_SCHEMA),
        minute=_bar_dataset(bundle.minute_dir, _MINUTE_SQL_SCHEMA),
        tables=tables,
        last_session=None if last is None else pd.Timestamp(last),
    )


def _view_sql(last_session: pd.Timestamp | None) -> list[str]:
    # The last session is a date taken from the manifest (validated by pandas), never user input.
    last = "DATE '1677-09-22'" if last_session is None else f"DATE '{last_session:%Y-%m-%d}'"
    bars = "sid, {t}, open, high, low, close, volume"
    q = _Q
    return [
        f"CREATE VIEW {q['daily_bars']} AS SELECT {bars.format(t='date')} FROM {DAILY_SOURCE}",
        f"CREATE VIEW {q['minute_bars']} AS SELECT {bars.format(t='dt')} FROM {MINUTE_SOURCE}",
        # Cumulative factors per (sid, effective date): the product of every ratio effective on
        # or after that date (and on or before the last session). A bar dated t takes the factor
        # of the first effective date > t (ASOF join); no such date → 1.
        f"""CREATE VIEW {q["_rb_price_factors"]} AS
        WITH r AS (
            SELECT sid, effective_date AS eff, ratio FROM {q["splits"]}
            UNION ALL SELECT sid, effective_date, ratio FROM {q["mergers"]}
            UNION ALL SELECT sid, ex_date, ratio FROM {q["dividends"]} WHERE NOT isnan(ratio)
        ), d AS (
            SELECT sid, eff, product(ratio) AS ratio FROM r WHERE eff <= {last} GROUP BY sid, eff
        )
        SELECT sid, eff, product(ratio) OVER (
            PARTITION BY sid ORDER BY eff DESC ROWS UNBOUNDED PRECEDING) AS factor FROM d""",
        f"""CREATE VIEW {q["_rb_volume_factors"]} AS
        WITH d AS (
            SELECT sid, effective_date AS eff, product(ratio) AS ratio FROM {q["splits"]}
            WHERE effective_date <= {last} GROUP BY sid, effective_date
        )
        SELECT sid, eff, product(ratio) OVER (
            PARTITION BY sid ORDER BY eff DESC ROWS UNBOUNDED PRECEDING) AS factor FROM d""",
        f"""CREATE VIEW {q["_rb_daily_factored"]} AS
        SELECT b.sid, b.date, b.open, b.high, b.low, b.close, b.volume,
               coalesce(p.factor, 1.0) AS price_factor, coalesce(v.factor, 1.0) AS volume_factor
        FROM {q["daily_bars"]} b
        ASOF LEFT JOIN {q["_rb_price_factors"]} p ON b.sid = p.sid AND b.date < p.eff
        ASOF LEFT JOIN {q["_rb_volume_factors"]} v ON b.sid = v.sid AND b.date < v.eff""",
        f"""CREATE VIEW {q["daily_bars_adjusted"]} AS
        SELECT sid, date, open * price_factor AS open, high * price_factor AS high,
               low * price_factor AS low, close * price_factor AS close,
               volume / volume_factor AS volume
        FROM {q["_rb_daily_factored"]}""",
        f"""CREATE VIEW {q["daily_adjustment_factors"]} AS
        SELECT sid, date, price_factor, volume_factor FROM {q["_rb_daily_factored"]}""",
    ]


def build_catalog(sources: BundleSources) -> Callable[[duckdb.DuckDBPyConnection], None]:
    """Return a function that builds the catalog on a writable connection."""

    def build(con: duckdb.DuckDBPyConnection) -> None:
        sources.register(con)
        con.execute(f"CREATE SCHEMA {CATALOG}.{INTERNAL_SCHEMA}")
        # The small tables twice (they are small): rb.<name> for the views, main.<name> for users
        # (a table, so writing to it is refused as a write to the read-only catalog).
        for name, table in sources.tables.items():
            con.register("_rb_load", table)
            for target in (qualified(name), f"{CATALOG}.main.{name}"):
                con.execute(f"CREATE TABLE {target} AS SELECT * FROM _rb_load")
            con.unregister("_rb_load")
        for statement in _view_sql(sources.last_session):
            con.execute(statement)
        for name in PUBLIC_RELATIONS:  # the bar views users name: main.<name> over rb.<name>
            if name not in sources.tables:
                con.execute(f"CREATE VIEW {CATALOG}.main.{name} AS SELECT * FROM {qualified(name)}")

    return build
