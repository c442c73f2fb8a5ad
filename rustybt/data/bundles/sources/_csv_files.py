"""Finding and reading the files of a csvdir directory, refusing what would be read wrongly.

Directory rules: a data file is named ``<SYMBOL>.csv`` or ``<SYMBOL>.csv.gz`` (suffix in any
case). Two data files for one symbol (``AAA.csv`` and ``AAA.csv.gz``) are an IngestError
naming both; every other file (``AAA.csv.bak``, ``notes.txt``) is ignored and listed in one
IngestWarning per directory.

File rules (each refusal names the file, and the column where there is one):

- a file that cannot be read or decompressed (plain text named ``.csv.gz``, corrupt or
  truncated gzip, bad encoding) is refused;
- a header-only file is refused rather than skipped: it is almost always a failed download,
  and skipping it would leave an asset without bars;
- two columns with the same name (after stripping and lower-casing: ``Close`` and ``close``)
  are refused; pandas would silently rename the second one to ``close.1``;
- an unnamed first column holding only integers (pandas' default ``to_csv()`` index) is dropped
  when another column names the date; otherwise the first column is the date whatever its
  name (zipline's rule), and a first column that would clash with a named date column is
  refused.
"""

from __future__ import annotations

import os
import re
import zlib
from pathlib import Path

import pandas as pd

from rustybt.errors import IngestError

__all__ = ["TIME_COLUMNS", "read_csv", "scan_folder"]

TIME_COLUMNS = ("date", "dt", "day", "session", "minute", "datetime")
_DATA_FILE = re.compile(r"^(?P<symbol>.*)\.csv(?P<gz>\.gz)?$", re.IGNORECASE)
_INTEGER = re.compile(r"^\s*\d+\s*$")


def scan_folder(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """({symbol: data file}, names of ignored files) of one frequency's folder."""
    files: dict[str, Path] = {}
    ignored: list[str] = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not entry.is_file():
            continue
        match = _DATA_FILE.match(entry.name)
        if match is None:
            ignored.append(entry.name)
            continue
        symbol = match["symbol"]
        if not symbol:
            raise IngestError("a data file name needs a symbol before '.csv'", file=entry.path)
        if symbol in files:
            raise IngestError(
                f"two data files for symbol {symbol!r}: {files[symbol]} and {entry.name}; keep one",
                file=str(files[symbol]),
            )
        files[symbol] = Path(entry.path)
    return files, ignored


def _compression(path: Path) -> str | None:
    return "gzip" if path.name.lower().endswith(".gz") else None


def _header(path: Path) -> list[str]:
    """The header's cell names, stripped and lower-cased, as written (no renaming)."""
    head = pd.read_csv(
        path,
        header=None,
        nrows=1,
        dtype=str,
        keep_default_na=False,
        compression=_compression(path),
    )
    return [str(c).strip().lower() for c in head.iloc[0].tolist()] if len(head) else []


def _read(path: Path) -> tuple[list[str], pd.DataFrame]:
    try:
        names = _header(path)
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            compression=_compression(path),
        )
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        OSError,  # gzip.BadGzipFile: not gzip at all
        EOFError,  # truncated gzip
        zlib.error,  # corrupt gzip data
    ) as err:
        raise IngestError(f"cannot read CSV: {err}", file=str(path)) from None
    return names, frame


def _check_names(names: list[str], path: Path) -> list[str]:
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise IngestError("duplicate column", file=str(path), column=name)
        seen.add(name)
    return [name or f"unnamed: {i}" for i, name in enumerate(names)]


def read_csv(path: Path, time_col: str) -> pd.DataFrame:
    """Read one data file as strings; the time column is named ``time_col`` unless named."""
    names, frame = _read(path)
    if len(frame) == 0:
        raise IngestError("no data rows (the file has only a header)", file=str(path))
    if not isinstance(frame.index, pd.RangeIndex) or len(names) != len(frame.columns):
        # pandas silently turns the first column into the index when rows are longer
        raise IngestError("rows have more cells than the header", file=str(path))
    frame.columns = _check_names(names, path)
    first = frame.columns[0]
    named = [c for c in frame.columns[1:] if c in TIME_COLUMNS]
    if names[0] == "" and named and frame[first].fillna("").str.match(_INTEGER).all():
        return frame.drop(columns=[first])  # pandas' default to_csv() index
    if first in TIME_COLUMNS:
        return frame
    if named:
        raise IngestError(
            f"the first column is the date (zipline's rule) but the file also has a "
            f"{named[0]!r} column; remove or rename one of them",
            file=str(path),
            column=first if names[0] else None,
        )
    return frame.rename(columns={first: time_col})
