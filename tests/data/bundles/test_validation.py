"""Each kind of bad input is rejected with a message naming file, row, column and value;
repairs warn; a failed ingest publishes nothing and leaves the previous version current."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pandas as pd
import pytest

from rustybt import (
    BundleNotFound,
    IngestError,
    IngestWarning,
    bundles,
    ingest,
    load,
    register,
    unregister,
)
from rustybt.data.bundles.sources import csvdir_ingest, dataframe_ingest

HEADER = "date,open,high,low,close,volume"
GOOD = [
    "2024-01-02,10.0,11.0,9.5,10.5,1000",
    "2024-01-03,10.5,11.5,10.0,11.0,1200",
    "2024-01-04,11.0,11.2,10.1,10.2,900",
    "2024-01-05,10.2,10.8,10.0,10.6,1100",
]
_names = itertools.count()


def _csvdir(tmp_path: Path, lines: list[str], header: str = HEADER, name: str = "AAA") -> Path:
    d = tmp_path / f"csv{next(_names)}"
    (d / "daily").mkdir(parents=True)
    (d / "daily" / f"{name}.csv").write_text("\n".join([header, *lines]) + "\n")
    (d / "daily" / "ZZZ.csv").write_text("\n".join([HEADER, *GOOD]) + "\n")
    return d


def _ingest(fn, root: Path, name: str | None = None):
    name = name or f"v{next(_names)}"
    register(name, fn)
    try:
        return ingest(name, root=root)
    finally:
        unregister(name)


def _reject(tmp_path: Path, root: Path, lines: list[str], header: str = HEADER) -> IngestError:
    d = _csvdir(tmp_path, lines, header)
    with pytest.raises(IngestError) as info:
        _ingest(csvdir_ingest(d), root, name="bad")
    err = info.value
    assert str(d / "daily" / "AAA.csv") in str(err)  # names the file
    _assert_nothing_published(root, "bad")
    return err


def _assert_nothing_published(root: Path, name: str) -> None:
    bdir = root / "bundles" / name
    leftovers = [p.name for p in bdir.iterdir() if p.name != ".lock"] if bdir.exists() else []
    assert leftovers == [], leftovers  # no version, no temp dir, no pointer (only the lock file)
    assert all(not b.versions for b in bundles(root) if b.name == name)
    with pytest.raises(BundleNotFound):
        load(name, root=root)


def _where(err: IngestError, row: int, column: str, value: str) -> None:
    text = str(err)
    assert f"row {row}" in text and f"column {column!r}" in text, text
    assert value in text, text
    assert err.row == row and err.column == column


def test_unparseable_date(tmp_path, root):
    err = _reject(tmp_path, root, [GOOD[0], "2024-13-45,1,1,1,1,1", *GOOD[2:]])
    assert "unparseable date" in str(err)
    _where(err, 2, "date", "'2024-13-45'")


def test_duplicate_date(tmp_path, root):
    err = _reject(tmp_path, root, [GOOD[0], GOOD[1], GOOD[1], GOOD[3]])
    assert "duplicate date" in str(err)
    _where(err, 3, "date", "2024-01-03")


def test_date_off_the_calendar(tmp_path, root):
    err = _reject(tmp_path, root, [*GOOD, "2024-01-06,1,1,1,1,1"])  # a Saturday
    assert "not a XNYS session" in str(err)
    _where(err, 5, "date", "2024-01-06")


def test_date_outside_the_calendar_range(tmp_path, root):
    err = _reject(tmp_path, root, ["1960-01-04,1,1,1,1,1", *GOOD])
    assert "outside the calendar's range" in str(err)
    _where(err, 1, "date", "1960-01-04")


def test_daily_date_with_time_of_day(tmp_path, root):
    err = _reject(tmp_path, root, [GOOD[0], "2024-01-03 10:30,1,1,1,1,1"])
    assert "time of day" in str(err)
    _where(err, 2, "date", "2024-01-03 10:30:00")


def test_non_monotonic_dates(tmp_path, root):
    err = _reject(tmp_path, root, [GOOD[0], GOOD[2], GOOD[1], GOOD[3]])
    assert "not increasing" in str(err) and "2024-01-04" in str(err)
    _where(err, 3, "date", "2024-01-03")


def test_negative_price(tmp_path, root):
    err = _reject(tmp_path, root, [GOOD[0], "2024-01-03,10.5,11.5,-10.0,11.0,1200"])
    assert "negative price" in str(err)
    _where(err, 2, "low", "-10.0")


@pytest.mark.parametrize("bad", ["inf", "-inf"])
def test_non_finite_price(tmp_path, root, bad):
    err = _reject(tmp_path, root, [GOOD[0], f"2024-01-03,10.5,11.5,10.0,{bad},1200"])
    assert "not finite" in str(err)
    _where(err, 2, "close", bad)


def test_missing_price_in_a_traded_row(tmp_path, root):
    err = _reject(tmp_path, root, [GOOD[0], "2024-01-03,10.5,,10.0,11.0,1200"])
    assert "missing price" in str(err)
    _where(err, 2, "high", "nan")


def test_price_that_is_not_a_number(tmp_path, root):
    err = _reject(tmp_path, root, [GOOD[0], "2024-01-03,10.5,abc,10.0,11.0,1200"])
    assert "not a number" in str(err)
    _where(err, 2, "high", "'abc'")


def test_high_below_open_or_close(tmp_path, root):
    err = _reject(tmp_path, root, [GOOD[0], "2024-01-03,10.5,10.9,10.0,11.0,1200"])
    assert "high < max(open, close)" in str(err)
    _where(err, 2, "high", "10.9")


def test_low_above_open_or_close(tmp_path, root):
    err = _reject(tmp_path, root, [GOOD[0], "2024-01-03,10.5,11.5,10.6,11.0,1200"])
    assert "low > min(open, close)" in str(err)
    _where(err, 2, "low", "10.6")


def test_negative_volume(tmp_path, root):
    err = _reject(tmp_path, root, [GOOD[0], "2024-01-03,10.5,11.5,10.0,11.0,-5"])
    assert "negative volume" in str(err)
    _where(err, 2, "volume", "-5.0")


def test_fractional_volume(tmp_path, root):
    err = _reject(tmp_path, root, [GOOD[0], "2024-01-03,10.5,11.5,10.0,11.0,1.5"])
    assert "not an integer" in str(err)
    _where(err, 2, "volume", "1.5")


def test_missing_required_column(tmp_path, root):
    err = _reject(
        tmp_path, root, [line.rsplit(",", 1)[0] for line in GOOD], header="date,open,high,low,close"
    )
    assert "missing required column(s) ['volume']" in str(err)


def test_split_ratio_not_positive_in_csv(tmp_path, root):
    lines = [f"{g},0,1" for g in GOOD]
    lines[2] = GOOD[2] + ",0,0"
    err = _reject(tmp_path, root, lines, header=HEADER + ",dividend,split")
    assert "split must be a number > 0" in str(err)
    _where(err, 3, "split", "'0'")


def test_negative_dividend_in_csv(tmp_path, root):
    lines = [f"{g},0,1" for g in GOOD]
    lines[1] = GOOD[1] + ",-0.5,1"
    err = _reject(tmp_path, root, lines, header=HEADER + ",dividend,split")
    _where(err, 2, "dividend", "'-0.5'")


# ---------------------------------------------------------------- DataFrame-level adjustments
def _daily() -> pd.DataFrame:
    rows = [line.split(",") for line in GOOD]
    frame = pd.DataFrame(rows, columns=HEADER.split(","))
    frame = frame.astype({c: float for c in ("open", "high", "low", "close", "volume")})
    return pd.concat([frame.assign(symbol="AAA"), frame.assign(symbol="BBB")], ignore_index=True)


def _reject_frames(root: Path, **frames) -> IngestError:
    with pytest.raises(IngestError) as info:
        _ingest(dataframe_ingest(_daily(), **frames), root, name="badf")
    _assert_nothing_published(root, "badf")
    return info.value


def test_unknown_symbol_in_adjustments(root):
    divs = pd.DataFrame(
        {"symbol": ["AAA", "QQQ"], "ex_date": ["2024-01-03"] * 2, "amount": [0.1, 0.1]}
    )
    err = _reject_frames(root, dividends=divs)
    assert "unknown symbol" in str(err) and "dividends frame" in str(err)
    _where(err, 2, "symbol", "'QQQ'")


def test_unknown_sid_in_adjustments(root):
    splits = pd.DataFrame({"sid": [7], "effective_date": ["2024-01-03"], "ratio": [0.5]})
    err = _reject_frames(root, splits=splits)
    assert "unknown sid" in str(err) and "splits frame" in str(err)
    _where(err, 1, "sid", "7")


@pytest.mark.parametrize("ratio", [0.0, -2.0])
def test_split_ratio_not_positive(root, ratio):
    splits = pd.DataFrame(
        {"symbol": ["AAA", "BBB"], "effective_date": ["2024-01-03"] * 2, "ratio": [0.5, ratio]}
    )
    err = _reject_frames(root, splits=splits)
    assert "ratio must be a finite number > 0" in str(err)
    _where(err, 2, "ratio", repr(ratio))


def test_dividend_on_a_date_without_a_bar(root):
    divs = pd.DataFrame({"symbol": ["BBB"], "ex_date": ["2024-01-08"], "amount": [0.1]})
    err = _reject_frames(root, dividends=divs)
    assert "dividend ex_date has no bar for sid 1" in str(err)
    _where(err, 1, "ex_date", "2024-01-08")


def test_negative_dividend_amount(root):
    divs = pd.DataFrame({"symbol": ["BBB"], "ex_date": ["2024-01-03"], "amount": [-1.0]})
    err = _reject_frames(root, dividends=divs)
    _where(err, 1, "amount", "-1.0")


def test_unknown_symbol_in_bars_with_an_asset_table(root):
    assets = pd.DataFrame({"sid": [10], "symbol": ["AAA"]})
    with pytest.raises(IngestError) as info:
        _ingest(dataframe_ingest(_daily(), assets=assets), root, name="badf")
    _where(info.value, 5, "symbol", "'BBB'")
    assert "daily frame" in str(info.value)


def test_bar_row_numbers_refer_to_the_long_frame(root):
    daily = _daily()
    daily.loc[6, "volume"] = -1.0  # BBB's third bar
    with pytest.raises(IngestError) as info:
        _ingest(dataframe_ingest(daily), root, name="badf")
    _where(info.value, 7, "volume", "-1.0")
    assert "sid 1" in str(info.value)


# ---------------------------------------------------------------- warnings with repair
def test_missing_sessions_become_halts_with_a_warning(tmp_path, root):
    d = _csvdir(tmp_path, [GOOD[0], GOOD[3]])
    with pytest.warns(IngestWarning, match=r"2 session\(s\) without a bar .* halts"):
        bundle = _ingest(csvdir_ingest(d), root)
    assert len(bundle.read_daily(0)) == 2
    assert "halts" in bundle.manifest.source["warnings"][0]


@pytest.mark.filterwarnings(
    "ignore:.*halts \\(read as NaN:rustybt.errors.IngestWarning"
)
def test_rows_without_a_trade_are_dropped_as_halts(tmp_path, root):
    d = _csvdir(tmp_path, [GOOD[0], "2024-01-03,,,,,0", "2024-01-04,0,0,0,0,0", GOOD[3]])
    with pytest.warns(IngestWarning, match="2 row"):
        bundle = _ingest(csvdir_ingest(d), root)
    assert bundle.read_daily(0)["date"].dt.day.tolist() == [2, 5]


def test_error_after_dropped_rows_names_the_original_row(tmp_path, root):
    with pytest.warns(IngestWarning):
        err = _reject(tmp_path, root, [GOOD[0], "2024-01-03,,,,,", "2024-01-04,1,1,2,1,1"])
    _where(err, 3, "low", "2.0")


def test_dividend_without_previous_close_keeps_nan_ratio(root):
    divs = pd.DataFrame({"symbol": ["AAA"], "ex_date": ["2024-01-02"], "amount": [0.1]})
    with pytest.warns(IngestWarning, match="ratio is NaN"):
        bundle = _ingest(dataframe_ingest(_daily(), dividends=divs), root)
    assert bundle.read_dividends()["ratio"].isna().all()


def test_failed_ingest_leaves_the_previous_version_current(tmp_path, root):
    good = _csvdir(tmp_path, GOOD)
    first = _ingest(csvdir_ingest(good), root, name="keep")
    bad = _csvdir(tmp_path, [GOOD[0], "2024-01-03,1,1,1,1,-1"])
    with pytest.raises(IngestError):
        _ingest(csvdir_ingest(bad), root, name="keep")
    assert load("keep", root=root).version == first.version
    entries = sorted(p.name for p in (root / "bundles" / "keep").iterdir())
    assert entries == sorted([".lock", "CURRENT", first.path.name])
    load("keep", root=root).verify()


def test_bars_outside_the_listing_are_rejected(root):
    assets = pd.DataFrame(
        {"sid": [0, 1], "symbol": ["AAA", "BBB"], "end_date": ["2024-01-03", None]}
    )
    with pytest.raises(IngestError, match=re.escape("outside the listing of sid 0")):
        _ingest(dataframe_ingest(_daily(), assets=assets), root)
