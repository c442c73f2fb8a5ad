"""File names, column names and metadata keys of the mapped store (one place, no logic)."""

from __future__ import annotations

__all__ = [
    "BAR_COLUMNS",
    "CALENDAR_FILE",
    "DAILY_EXTRA_COLUMNS",
    "MINUTE_INDEX_FILE",
    "STORE_FORMAT",
    "store_file",
]

#: Bumped whenever the layout of any store file changes: older files are rebuilt.
STORE_FORMAT = "rustybt-arrow-store/1"

BAR_COLUMNS = ("open", "high", "low", "close", "volume")
#: Per-session adjustment columns held only by the daily store (see adjustments.py).
DAILY_EXTRA_COLUMNS = ("price_factor", "volume_factor", "price_adj_count", "volume_adj_count")

CALENDAR_FILE = "calendar.arrow"
MINUTE_INDEX_FILE = "minute_index.arrow"

# schema metadata keys (bytes, as Arrow stores them)
K_FORMAT = b"rustybt.store_format"
K_VERSION = b"rustybt.bundle_version"
K_KIND = b"rustybt.kind"
K_LENGTH = b"rustybt.length"
K_SIDS = b"rustybt.sids"
K_OFFSETS = b"rustybt.offsets"
K_START = b"rustybt.start_index"
K_END = b"rustybt.end_index"


def store_file(frequency: str) -> str:
    """File name of the bar store for ``'daily'`` or ``'minute'``."""
    return f"{frequency}.arrow"
