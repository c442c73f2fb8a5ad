"""The csvdir source: zipline's layout and its dividend/split column semantics."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rustybt import IngestError
from rustybt.data.bundles.sources import csvdir_ingest, csvdir_symbols, synthetic_frames

pytestmark = pytest.mark.filterwarnings("ignore:.*halts:rustybt.errors.IngestWarning")


@pytest.fixture(scope="module")
def frames():
    return synthetic_frames(4, 0.25, minute=True, minute_assets=2, seed=7)


def _write(d: Path, frames, *, events: bool = True) -> Path:
    (d / "daily").mkdir(parents=True)
    (d / "minute").mkdir()
    sym = frames.assets.set_index("sid")["symbol"]
    for sid, f in frames.daily.items():
        f = f.rename(columns={"date": "Date"}).copy()  # zipline reads the first column, any name
        if events:
            f["dividend"] = 0.0
            f["split"] = 1.0
            f.loc[5, "dividend"] = 0.37
            f.loc[8, "split"] = 2.0  # 2-for-1 → ratio 0.5
            f.loc[9, "split"] = np.nan  # an empty cell is no event
        f.to_csv(d / "daily" / f"{sym[sid]}.csv", index=False)
    for sid, f in frames.minute.items():
        out = f.assign(dt=f["dt"].dt.tz_localize(None))  # naive minutes mean UTC
        with gzip.open(d / "minute" / f"{sym[sid]}.csv.gz", "wt") as fh:
            out.to_csv(fh, index=False)
    return d


def test_bars_assets_and_adjustments(tmp_path, frames, ingest_source):
    d = _write(tmp_path / "csv", frames)
    bundle = ingest_source(csvdir_ingest(d))
    assets = bundle.read_assets()
    assert assets["symbol"].tolist() == sorted(frames.assets["symbol"])  # sids by sorted symbol
    assert (assets["exchange"] == "CSVDIR").all()
    for sid, f in frames.daily.items():
        pd.testing.assert_frame_equal(bundle.read_daily(sid), f.reset_index(drop=True))
        row = assets.set_index("sid").loc[sid]
        assert row["start_date"] == f["date"].iloc[0] and row["end_date"] == f["date"].iloc[-1]
        assert row["auto_close_date"] == f["date"].iloc[-1] + np.timedelta64(1, "D")
    for sid, f in frames.minute.items():
        pd.testing.assert_frame_equal(bundle.read_minute(sid), f.reset_index(drop=True))
    splits = bundle.read_splits()
    assert len(splits) == 4 and (splits["ratio"] == 0.5).all()
    assert splits["effective_date"].tolist() == [frames.daily[s]["date"].iloc[8] for s in range(4)]
    divs = bundle.read_dividends()
    assert len(divs) == 4 and (divs["amount"] == 0.37).all()
    oracle = [1 - 0.37 / frames.daily[s]["close"].iloc[4] for s in range(4)]
    np.testing.assert_array_equal(divs["ratio"].to_numpy(), oracle)


def test_minute_only_directory_takes_adjustments_from_minutes(tmp_path, frames, ingest_source):
    d = tmp_path / "m"
    (d / "minute").mkdir(parents=True)
    f = frames.minute[0].assign(dt=frames.minute[0]["dt"].dt.tz_localize(None))
    f["dividend"] = 0.0
    f.loc[2000, "dividend"] = 0.2  # a minute on some later session
    f.to_csv(d / "minute" / "ONE.csv", index=False)
    bundle = ingest_source(csvdir_ingest(d))
    assert bundle.frequencies == ("minute",)
    divs = bundle.read_dividends()
    session = bundle.calendar.minute_to_session(frames.minute[0]["dt"].iloc[2000])
    assert divs["ex_date"].tolist() == [session]
    prev = bundle.calendar.previous_session(session)
    minutes = frames.minute[0].set_index("dt")["close"]
    last_close = minutes[minutes.index <= bundle.calendar.session_close(prev)].iloc[-1]
    assert divs["ratio"].iloc[0] == 1 - 0.2 / last_close


def test_frequencies_argument_limits_what_is_read(tmp_path, frames, ingest_source):
    d = _write(tmp_path / "csv", frames, events=False)
    bundle = ingest_source(csvdir_ingest(d, frequencies=("daily",)))
    assert bundle.frequencies == ("daily",)
    assert csvdir_symbols(d)["minute"].keys() == {"SAAA", "SAAB"}


def test_directory_errors(tmp_path):
    with pytest.raises(IngestError, match="not a directory"):
        csvdir_symbols(tmp_path / "missing")
    with pytest.raises(IngestError, match="no 'daily' or 'minute' directory"):
        csvdir_symbols(tmp_path)
    (tmp_path / "daily").mkdir()
    (tmp_path / "daily" / "notes.txt").write_text("x")
    with pytest.raises(IngestError, match=r"no <symbol>\.csv files"):
        csvdir_symbols(tmp_path)
    with pytest.raises(ValueError, match="unknown frequency"):
        csvdir_symbols(tmp_path, ("weekly",))


def test_unreadable_csv(tmp_path, ingest_source):
    (tmp_path / "daily").mkdir()
    (tmp_path / "daily" / "X.csv").write_text("")
    with pytest.raises(IngestError, match="cannot read CSV") as info:
        ingest_source(csvdir_ingest(tmp_path))
    assert str(tmp_path / "daily" / "X.csv") in str(info.value)


def test_calendar_argument_is_used_for_registration(tmp_path, ingest_source):
    (tmp_path / "daily").mkdir()
    (tmp_path / "daily" / "BTC.csv").write_text(
        "date,open,high,low,close,volume\n2024-01-06,1,2,1,2,5\n2024-01-07,2,2,1,1,5\n"
    )
    bundle = ingest_source(csvdir_ingest(tmp_path, calendar_name="24/7"))
    assert bundle.calendar_name == "24/7"
    assert len(bundle.read_daily(0)) == 2
    assert "csvdir_ingest" in bundle.manifest.source["ingest_fn"]
