"""CSV input that used to be accepted silently (or failed with a traceback) is refused or warned.

Every test writes real CSV files into ``tmp_path`` and ingests them through the registry. A
refused ingest must publish nothing (no ``CURRENT`` pointer under the root).
"""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rustybt import IngestError, IngestWarning
from rustybt.data.bundles.sources import csvdir_ingest

HEADER = "date,open,high,low,close,volume\n"
# XNYS sessions 2024-01-02 .. 2024-01-05 (EST: the session's minutes are 14:31..21:00 UTC)
SESSIONS = ("2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05")


def _daily_rows(volume: int = 100) -> str:
    return "".join(f"{d},10,11,9,10.5,{volume}\n" for d in SESSIONS)


def _dir(tmp_path: Path, daily: dict[str, str] | None = None) -> Path:
    d = tmp_path / "csv"
    (d / "daily").mkdir(parents=True)
    for name, text in (daily or {}).items():
        (d / "daily" / name).write_text(text)
    return d


def _refused(ingest_source, d: Path, match: str, root: Path) -> IngestError:
    with pytest.raises(IngestError, match=match) as info:
        ingest_source(csvdir_ingest(d))
    assert not list(root.rglob("CURRENT")), "a refused ingest published a version"
    return info.value


def _ingest_quietly(ingest_source, source):
    with warnings.catch_warnings():
        warnings.simplefilter("error", IngestWarning)
        return ingest_source(source)


# 1 ------------------------------------------------------------------ header-only file
def test_header_only_file_is_refused(tmp_path, root, ingest_source):
    d = _dir(tmp_path, {"AAA.csv": HEADER + _daily_rows(), "BBB.csv": HEADER})
    err = _refused(ingest_source, d, "no data rows", root)
    assert err.file == str(d / "daily" / "BBB.csv")


# 2 ------------------------------------------------------------------ several files per symbol
def test_two_data_files_for_one_symbol_are_refused(tmp_path, root, ingest_source):
    d = _dir(tmp_path, {"AAA.csv": HEADER + _daily_rows(), "BBB.csv": HEADER + _daily_rows()})
    with gzip.open(d / "daily" / "BBB.csv.gz", "wt") as fh:
        fh.write(HEADER + _daily_rows(7))
    err = _refused(ingest_source, d, "two data files for symbol 'BBB'", root)
    assert "BBB.csv.gz" in str(err) and str(d / "daily" / "BBB.csv") in str(err)


def test_files_that_are_not_csv_are_listed_in_one_warning(tmp_path, ingest_source):
    d = _dir(tmp_path, {"AAA.csv": HEADER + _daily_rows()})
    (d / "daily" / "AAA.csv.bak").write_text(HEADER + "2024-01-02,1,1,1,1,1\n")
    (d / "daily" / "notes.txt").write_text("hello")
    with pytest.warns(IngestWarning) as record:
        bundle = ingest_source(csvdir_ingest(d))
    ignored = [str(w.message) for w in record if "ignored" in str(w.message)]
    assert len(ignored) == 1
    assert "AAA.csv.bak" in ignored[0] and "notes.txt" in ignored[0]
    assert bundle.read_assets()["symbol"].tolist() == ["AAA"]
    assert bundle.read_daily(0)["volume"].tolist() == [100] * 4
    assert any("ignored" in w for w in bundle.manifest.source["warnings"])


# 3 ------------------------------------------------------------------ exact volume
def test_volume_beyond_float64_precision_is_read_exactly(tmp_path, ingest_source):
    big = 2**53 + 1
    top = 2**63 - 1  # float64 rounds it to 2**63, which does not fit
    rows = [f"{SESSIONS[0]},10,11,9,10.5,{big}\n", f"{SESSIONS[1]},10,11,9,10.5,{top}\n"]
    rows += [f"{SESSIONS[2]},,,,,\n", f"{SESSIONS[3]},10,11,9,10.5,3\n"]  # a halt row (NaN)
    d = _dir(tmp_path, {"AAA.csv": HEADER + "".join(rows)})
    with pytest.warns(IngestWarning, match="halts"):
        bundle = ingest_source(csvdir_ingest(d))
    assert bundle.read_daily(0)["volume"].tolist() == [big, top, 3]


@pytest.mark.parametrize(
    ("volume", "match"),
    [
        ("9007199254740993.5", "volume is not an integer"),
        ("9223372036854775808", "volume does not fit in int64"),
        ("1e300", "volume does not fit in int64"),
    ],
)
def test_volume_that_cannot_be_held_exactly_is_refused(
    tmp_path, root, ingest_source, volume, match
):
    rows = _daily_rows().splitlines(keepends=True)
    rows[2] = f"{SESSIONS[2]},10,11,9,10.5,{volume}\n"
    d = _dir(tmp_path, {"AAA.csv": HEADER + "".join(rows)})
    err = _refused(ingest_source, d, match, root)
    assert (err.file, err.row, err.column, err.value) == (
        str(d / "daily" / "AAA.csv"),
        3,
        "volume",
        volume,
    )


# 4 ------------------------------------------------------------------ duplicate columns
@pytest.mark.parametrize(
    "header", ["date,open,high,low,close,volume,close", "date,open,high,low,Close,volume,close "]
)
def test_duplicate_column_is_refused(tmp_path, root, ingest_source, header):
    rows = "".join(f"{d},10,11,9,10.5,100,10.2\n" for d in SESSIONS)
    d = _dir(tmp_path, {"AAA.csv": header + "\n" + rows})
    err = _refused(ingest_source, d, "duplicate column", root)
    assert err.file == str(d / "daily" / "AAA.csv") and err.column == "close"


# 5 ------------------------------------------------------------------ daily dates with an offset
def test_daily_date_with_utc_offset_is_refused(tmp_path, root, ingest_source):
    rows = _daily_rows().splitlines(keepends=True)
    rows[1] = rows[1].replace("2024-01-03", "2024-01-03T19:00-05:00")  # = 2024-01-04 UTC
    d = _dir(tmp_path, {"AAA.csv": HEADER + "".join(rows)})
    err = _refused(ingest_source, d, "UTC offset", root)
    assert (err.row, err.column, err.value) == (2, "date", "2024-01-03T19:00-05:00")


def test_daily_date_at_utc_midnight_is_that_date(tmp_path, ingest_source):
    rows = "".join(f"{d}T00:00:00+00:00,10,11,9,10.5,100\n" for d in SESSIONS)
    d = _dir(tmp_path, {"AAA.csv": HEADER + rows})
    bundle = _ingest_quietly(ingest_source, csvdir_ingest(d))
    assert bundle.read_daily(0)["date"].dt.strftime("%Y-%m-%d").tolist() == list(SESSIONS)


# 6 ------------------------------------------------------------------ daily vs minute agreement
def _minute_text(close_last: float = 10.5, volumes: tuple[int, int] = (60, 40)) -> str:
    """Two minutes a session whose aggregate is the daily row of ``_daily_rows``."""
    out = ["dt,open,high,low,close,volume\n"]
    for s in SESSIONS:
        out.append(f"{s} 14:31,10,11,10,10.2,{volumes[0]}\n")
        out.append(f"{s} 21:00,10.2,10.6,9,{close_last},{volumes[1]}\n")
    return "".join(out)


def test_agreeing_daily_and_minute_bars_do_not_warn(tmp_path, ingest_source):
    d = _dir(tmp_path, {"AAA.csv": HEADER + _daily_rows()})
    (d / "minute").mkdir()
    (d / "minute" / "AAA.csv").write_text(_minute_text())
    bundle = _ingest_quietly(ingest_source, csvdir_ingest(d))
    assert bundle.frequencies == ("daily", "minute")


def test_disagreeing_daily_and_minute_bars_warn_once(tmp_path, ingest_source):
    daily = HEADER + _daily_rows()
    d = _dir(tmp_path, {"AAA.csv": daily, "BBB.csv": daily, "CCC.csv": daily})
    (d / "minute").mkdir()
    (d / "minute" / "AAA.csv").write_text(_minute_text())  # agrees
    (d / "minute" / "BBB.csv").write_text(_minute_text(close_last=10.4))  # close differs
    text = _minute_text().splitlines(keepends=True)
    text[1] = text[1].replace(",10,11,10,10.2,60", ",10,11.5,10,10.2,61")  # high + volume
    (d / "minute" / "CCC.csv").write_text("".join(text))
    with pytest.warns(IngestWarning) as record:
        bundle = ingest_source(csvdir_ingest(d))
    found = [str(w.message) for w in record if "disagree" in str(w.message)]
    assert len(found) == 1, found
    msg = found[0]
    assert "5 (sid, session) pair(s)" in msg  # BBB: 4 sessions, CCC: 1
    assert "sid 1 2024-01-02" in msg and "close 10.5 != last minute close 10.4" in msg
    assert "sid 2 2024-01-02" in msg and "volume 100 != minute volume 101" in msg
    assert "high 11.0 < minute high 11.5" in msg
    assert "sid 0" not in msg
    assert msg in bundle.manifest.source["warnings"]


# 7 ------------------------------------------------------------------ pandas' to_csv() index
def test_pandas_default_to_csv_index_column_is_ignored(tmp_path, ingest_source):
    frame = pd.DataFrame(
        {
            "date": list(SESSIONS),
            "open": 10.0,
            "high": 11.0,
            "low": 9.0,
            "close": 10.5,
            "volume": 100,
        }
    )
    d = _dir(tmp_path)
    frame.to_csv(d / "daily" / "AAA.csv")  # ",date,open,…" with 0, 1, 2, 3 first
    dated = frame.set_index(pd.DatetimeIndex(frame.pop("date"))).rename_axis(None)
    dated.to_csv(d / "daily" / "BBB.csv")  # ",open,…": the unnamed first column is the date
    bundle = _ingest_quietly(ingest_source, csvdir_ingest(d))
    for sid in (0, 1):
        bars = bundle.read_daily(sid)
        assert bars["date"].dt.strftime("%Y-%m-%d").tolist() == list(SESSIONS)
        assert bars["volume"].tolist() == [100] * 4


def test_first_column_clashing_with_a_date_column_is_a_clear_error(tmp_path, root, ingest_source):
    rows = "".join(f"x{i},{s},10,11,9,10.5,100\n" for i, s in enumerate(SESSIONS))
    d = _dir(tmp_path, {"AAA.csv": "id," + HEADER + rows})
    err = _refused(ingest_source, d, "also has a 'date' column", root)
    assert err.file == str(d / "daily" / "AAA.csv") and err.column == "id"


# 8 ------------------------------------------------------------------ mixed aware / naive dates
def test_mixed_aware_and_naive_minutes_are_refused(tmp_path, root, ingest_source):
    d = tmp_path / "csv"
    (d / "minute").mkdir(parents=True)
    rows = ["2024-01-02 14:31,10,11,9,10.5,1\n", "2024-01-02 09:32-05:00,10,11,9,10.5,1\n"]
    (d / "minute" / "AAA.csv").write_text("dt,open,high,low,close,volume\n" + "".join(rows))
    err = _refused(ingest_source, d, "mixes dates with and without a UTC offset", root)
    assert (err.file, err.row, err.column, err.value) == (
        str(d / "minute" / "AAA.csv"),
        2,
        "dt",
        "2024-01-02 09:32-05:00",
    )


def test_mixed_aware_and_naive_daily_dates_are_refused(tmp_path, root, ingest_source):
    rows = _daily_rows().splitlines(keepends=True)
    rows[0] = rows[0].replace("2024-01-02", "2024-01-02T00:00Z")
    d = _dir(tmp_path, {"AAA.csv": HEADER + "".join(rows)})
    err = _refused(ingest_source, d, "mixes dates with and without a UTC offset", root)
    assert (err.row, err.value) == (2, "2024-01-03")


# 9 ------------------------------------------------------------------ broken gzip
@pytest.mark.parametrize("kind", ["plain text", "truncated", "corrupt"])
def test_unreadable_gzip_is_refused(tmp_path, root, ingest_source, kind):
    d = _dir(tmp_path, {"AAA.csv": HEADER + _daily_rows()})
    blob = gzip.compress((HEADER + _daily_rows() * 50).encode())
    data = {
        "plain text": (HEADER + _daily_rows()).encode(),
        "truncated": blob[: len(blob) // 2],
        "corrupt": blob[:20] + bytes(np.full(len(blob) - 28, 0x5A, np.uint8)) + blob[-8:],
    }[kind]
    (d / "daily" / "BBB.csv.gz").write_bytes(data)
    err = _refused(ingest_source, d, "cannot read", root)
    assert err.file == str(d / "daily" / "BBB.csv.gz")
