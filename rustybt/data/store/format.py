"""File names, column names and metadata keys of the mapped store (one place, no logic)."""

from __future__ import annotations

__all__ = [
    "BAR_COLUMNS",
    "CALENDAR_FILE",
    "CHECKSUM_ALGORITHM",
    "DAILY_EXTRA_COLUMNS",
    "FULL_CHECK_MAX_BYTES",
    "MINUTE_INDEX_FILE",
    "STORE_FILES",
    "STORE_FORMAT",
    "store_file",
]

#: Bumped whenever the layout of any store file changes: older files are rebuilt.
STORE_FORMAT = "rustybt-arrow-store/2"  # 2: checksums in the schema metadata

BAR_COLUMNS = ("open", "high", "low", "close", "volume")
#: Per-session adjustment columns held only by the daily store (see adjustments.py).
DAILY_EXTRA_COLUMNS = ("price_factor", "volume_factor", "price_adj_count", "volume_adj_count")

CALENDAR_FILE = "calendar.arrow"
MINUTE_INDEX_FILE = "minute_index.arrow"
#: Every store file of a version with its kind, in build order (each may depend on the previous).
STORE_FILES = (
    (CALENDAR_FILE, "calendar"),
    ("daily.arrow", "daily"),
    (MINUTE_INDEX_FILE, "minute_index"),
    ("minute.arrow", "minute"),
)

#: ``hashlib`` algorithm of the store checksums (measured on the dev box: sha256 1.37 GB/s with
#: the CPU's SHA extensions, blake2b 0.56, md5 0.55; xxhash is not installed).
CHECKSUM_ALGORITHM = "sha256"
#: Opening re-hashes every column of a file up to this size, once per process (measured: 7 MB
#: in 20 ms, 180 MB in 1.1 s with the pages cold, so ~0.1 s at most here); a larger file gets
#: the cheap checks only (~1 ms, as before the checksums) and is hashed in full on build and by
#: ``rustybt bundles verify``.
FULL_CHECK_MAX_BYTES = 32 * 2**20

# schema metadata keys (bytes, as Arrow stores them)
K_FORMAT = b"rustybt.store_format"
K_VERSION = b"rustybt.bundle_version"
K_KIND = b"rustybt.kind"
K_LENGTH = b"rustybt.length"
K_SIDS = b"rustybt.sids"
K_OFFSETS = b"rustybt.offsets"
K_START = b"rustybt.start_index"
K_END = b"rustybt.end_index"
#: JSON ``{column: hex digest}`` of each column's data buffer.
K_CHECKSUMS = b"rustybt.checksums"
#: Hex digest over the schema (names, types), the row count and every other metadata entry
#: (the column checksums included): an edited footer (swapped sids, offsets) fails it.
K_META_CHECKSUM = b"rustybt.meta_checksum"


def store_file(frequency: str) -> str:
    """File name of the bar store for ``'daily'`` or ``'minute'``."""
    return f"{frequency}.arrow"
