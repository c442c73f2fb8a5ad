"""The on-disk bundle format: paths and Arrow schemas of every file in a version directory.

Layout of ``<root>/bundles/<name>/``::

    CURRENT                      name of the current version directory (switched atomically)
    <version-dir>/               one per ingest, named by UTC ingest time
        manifest.json            format version, calendar, sessions, per-file SHA256, content hash
        assets.parquet           one row per asset
        symbol_history.parquet   (sid, symbol, start_date, end_date) spans
        daily/<sid>.parquet      daily bars of one asset, sorted by date
        minute/<sid>.parquet     minute bars of one asset, sorted by dt (UTC)
        adjustments/{splits,mergers,dividends,stock_dividends}.parquet

See docs/bundles.md for the full description.
"""

from __future__ import annotations

import pyarrow as pa

__all__ = [
    "ADJUSTMENTS_DIR",
    "ASSETS_FILE",
    "ASSETS_SCHEMA",
    "BAR_FIELDS",
    "CURRENT_POINTER",
    "DAILY_DIR",
    "DAILY_SCHEMA",
    "DIVIDENDS_FILE",
    "DIVIDENDS_SCHEMA",
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "MERGERS_FILE",
    "MINUTE_DIR",
    "MINUTE_SCHEMA",
    "RATIO_SCHEMA",
    "SPLITS_FILE",
    "STOCK_DIVIDENDS_FILE",
    "STOCK_DIVIDENDS_SCHEMA",
    "SYMBOL_HISTORY_FILE",
    "SYMBOL_HISTORY_SCHEMA",
    "bar_file",
]

FORMAT_VERSION = 1

CURRENT_POINTER = "CURRENT"
MANIFEST_FILE = "manifest.json"
ASSETS_FILE = "assets.parquet"
SYMBOL_HISTORY_FILE = "symbol_history.parquet"
DAILY_DIR = "daily"
MINUTE_DIR = "minute"
ADJUSTMENTS_DIR = "adjustments"
SPLITS_FILE = f"{ADJUSTMENTS_DIR}/splits.parquet"
MERGERS_FILE = f"{ADJUSTMENTS_DIR}/mergers.parquet"
DIVIDENDS_FILE = f"{ADJUSTMENTS_DIR}/dividends.parquet"
STOCK_DIVIDENDS_FILE = f"{ADJUSTMENTS_DIR}/stock_dividends.parquet"

BAR_FIELDS = ("open", "high", "low", "close", "volume")

_PRICES = [pa.field(f, pa.float64(), nullable=False) for f in ("open", "high", "low", "close")]
_VOLUME = pa.field("volume", pa.int64(), nullable=False)

DAILY_SCHEMA = pa.schema(
    [
        pa.field("sid", pa.int64(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        *_PRICES,
        _VOLUME,
    ]
)
MINUTE_SCHEMA = pa.schema(
    [
        pa.field("sid", pa.int64(), nullable=False),
        pa.field("dt", pa.timestamp("ns", tz="UTC"), nullable=False),
        *_PRICES,
        _VOLUME,
    ]
)
ASSETS_SCHEMA = pa.schema(
    [
        pa.field("sid", pa.int64(), nullable=False),
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("asset_name", pa.string()),
        pa.field("exchange", pa.string()),
        pa.field("start_date", pa.date32()),
        pa.field("end_date", pa.date32()),
        pa.field("first_traded", pa.date32()),
        pa.field("auto_close_date", pa.date32()),
    ]
)
SYMBOL_HISTORY_SCHEMA = pa.schema(
    [
        pa.field("sid", pa.int64(), nullable=False),
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("start_date", pa.date32()),
        pa.field("end_date", pa.date32()),
    ]
)
RATIO_SCHEMA = pa.schema(
    [
        pa.field("sid", pa.int64(), nullable=False),
        pa.field("effective_date", pa.date32(), nullable=False),
        pa.field("ratio", pa.float64(), nullable=False),
    ]
)
DIVIDENDS_SCHEMA = pa.schema(
    [
        pa.field("sid", pa.int64(), nullable=False),
        pa.field("ex_date", pa.date32(), nullable=False),
        pa.field("record_date", pa.date32()),
        pa.field("declared_date", pa.date32()),
        pa.field("pay_date", pa.date32()),
        pa.field("amount", pa.float64(), nullable=False),
        # 1 - amount / raw close of the session before ex_date, fixed at ingest (zipline's rule);
        # NaN when it cannot be computed (no close the session before) or is not positive.
        pa.field("ratio", pa.float64(), nullable=False),
    ]
)
STOCK_DIVIDENDS_SCHEMA = pa.schema(
    [
        pa.field("sid", pa.int64(), nullable=False),
        pa.field("ex_date", pa.date32(), nullable=False),
        pa.field("record_date", pa.date32()),
        pa.field("declared_date", pa.date32()),
        pa.field("pay_date", pa.date32()),
        pa.field("payment_sid", pa.int64(), nullable=False),
        pa.field("ratio", pa.float64(), nullable=False),
    ]
)


def bar_file(frequency_dir: str, sid: int) -> str:
    """Relative path of one asset's bar file, e.g. ``daily/42.parquet``."""
    return f"{frequency_dir}/{int(sid)}.parquet"
