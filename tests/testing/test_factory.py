"""rustybt.testing: deterministic specs, written through BundleWriter, every named hard case.

Also checks the shared oracle (tests/support.py) against values written out by hand, so the
oracle is not only trusted because it agrees with the code it checks.
"""

from __future__ import annotations

import doctest
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from support import Oracle

import rustybt.testing
from rustybt import IngestWarning
from rustybt.testing import (
    KNOWN,
    BundleSpec,
    bars_from_close,
    known_values_spec,
    make_bundle,
    random_spec,
    zipline_cases_spec,
)


def _frames_equal(a: BundleSpec, b: BundleSpec) -> None:
    assert a.sessions.equals(b.sessions)
    pd.testing.assert_frame_equal(a.assets, b.assets)
    for mine, other in ((a.daily, b.daily), (a.minute, b.minute)):
        assert mine.keys() == other.keys()
        for sid in mine:
            pd.testing.assert_frame_equal(mine[sid], other[sid])
    for table in ("splits", "mergers", "dividends", "stock_dividends"):
        mine, other = getattr(a, table), getattr(b, table)
        assert (mine is None) == (other is None), table
        if mine is not None:
            pd.testing.assert_frame_equal(mine, other)


def test_random_specs_are_deterministic_and_seeded(tmp_path: Path) -> None:
    _frames_equal(random_spec(3, 4, 30), random_spec(3, 4, 30))
    _frames_equal(zipline_cases_spec(seed=2), zipline_cases_spec(seed=2))
    a = make_bundle(tmp_path / "a", random_spec(3, 4, 30))
    b = make_bundle(tmp_path / "b", random_spec(3, 4, 30))
    c = make_bundle(tmp_path / "c", random_spec(4, 4, 30))
    assert a.version == b.version != c.version  # the content hash follows the spec
    d = make_bundle(tmp_path / "d", seed=3, n_assets=4, n_sessions=30)  # random by default
    assert d.version == a.version and d.path.parent == tmp_path / "d" / "bundles" / "test"
    with pytest.raises(TypeError, match="either a spec"):
        make_bundle(tmp_path, random_spec(3, 4, 30), seed=3)


def test_daily_and_minute_bars_read_back_as_written(tmp_path: Path) -> None:
    spec = random_spec(5, 3, 4, minute=True)
    bundle = make_bundle(tmp_path, spec, name="m")
    assert bundle.frequencies == ("daily", "minute")
    assert bundle.sessions.equals(spec.sessions)
    for sid, frame in spec.daily.items():
        got = bundle.read_daily(sid)
        np.testing.assert_array_equal(got["close"], frame["close"])
        assert pd.DatetimeIndex(got["date"]).equals(pd.DatetimeIndex(frame["date"]))
    for sid, frame in spec.minute.items():
        got = bundle.read_minute(sid)
        np.testing.assert_array_equal(got["volume"], frame["volume"])
        assert pd.DatetimeIndex(got["dt"]).equals(pd.DatetimeIndex(frame["dt"]))
        # the daily bars are the minute aggregates
        assert spec.daily[sid]["volume"].sum() == frame["volume"].sum()


def test_known_values_spec_has_every_named_case(tmp_path: Path) -> None:
    spec = known_values_spec()
    s = spec.sessions
    assert len(s) == KNOWN.N and s[0] == pd.Timestamp("2024-06-24")
    assert pd.Timestamp("2024-07-03") in s and pd.Timestamp("2024-07-04") not in s  # holiday
    bundle = make_bundle(tmp_path, spec, name="fixed")
    cal = bundle.calendar
    assert cal.session_close(pd.Timestamp("2024-07-03")).hour == 17  # early close, 13:00 NY
    assert set(s.difference(pd.DatetimeIndex(spec.daily[0]["date"]))) == {
        s[i] for i in KNOWN.HALTS}
    assert spec.daily[1]["date"].iloc[0] == s[KNOWN.LATE[0]]  # late listing
    assets = bundle.read_assets().set_index("sid")
    assert assets.loc[1, "end_date"] == s[KNOWN.LATE[1]] < s[-1]  # delisted
    assert 3 not in spec.daily  # listed, never traded
    assert bundle.read_splits()["effective_date"].tolist() == [s[KNOWN.SPLIT_AT]]
    assert bundle.read_mergers()["effective_date"].tolist() == [s[KNOWN.MERGER_AT]]
    assert bundle.read_dividends()["ex_date"].tolist() == [s[KNOWN.DIV_AT]]
    assert bundle.read_stock_dividends()["payment_sid"].tolist() == [0]
    finder = bundle.asset_finder  # the symbol change
    assert finder.lookup_symbol("PLN", s[KNOWN.RENAME_AT - 1]).sid == 2
    assert finder.lookup_symbol("PLAIN", s[KNOWN.RENAME_AT]).sid == 2


def test_zipline_cases_spec_covers_listing_delisting_halts_and_csv_mode() -> None:
    spec = zipline_cases_spec(sessions=30, n_assets=3, seed=1)
    s = spec.sessions
    life = spec.assets.set_index("sid")
    assert life.loc[1, "start_date"] == s[10] and life.loc[2, "end_date"] == s[20]
    for sid, frame in spec.daily.items():  # three halts inside every life
        inside = s[(s >= life.loc[sid, "start_date"]) & (s <= life.loc[sid, "end_date"])]
        assert len(inside) - len(frame) == 3
    assert len(spec.mergers) == 1 and len(spec.stock_dividends) == 1
    assert len(spec.splits) == len(spec.dividends) == 3
    csv = zipline_cases_spec(sessions=30, n_assets=3, seed=1, csv_compatible=True)
    assert csv.mergers.empty and csv.stock_dividends.empty
    no_halts = zipline_cases_spec(sessions=30, n_assets=3, seed=1, halts=False)
    assert len(no_halts.daily[0]) == len(s)


def test_from_bars_derives_assets_and_the_range(tmp_path: Path) -> None:
    days = pd.DatetimeIndex(["2024-01-03", "2024-01-04", "2024-01-05"])
    from rustybt.calendars import get_calendar
    from rustybt.testing import minute_ramp

    minute = {7: minute_ramp(get_calendar("XNYS", "2024-01-02", "2024-01-10"), days[2], 3, 9.0)}
    spec = BundleSpec.from_bars({1: bars_from_close(days[:2], [10.0, 11.0], [5, 6])},
                                minute=minute)
    assert spec.assets["symbol"].tolist() == ["S1", "S7"]
    assert spec.assets["start_date"].tolist() == [days[0], days[2]]  # sid 7 from its minutes
    assert spec.assets["end_date"].tolist() == [days[1], days[2]]
    assert spec.sessions.equals(days) and not spec.pin_sessions
    bundle = make_bundle(tmp_path, spec)
    assert bundle.first_session == days[0] and bundle.last_session == days[2]
    with pytest.raises(TypeError, match="unknown adjustment"):
        BundleSpec.from_bars({1: bars_from_close(days, [1.0] * 3, [1] * 3)}, splitz=None)
    with pytest.raises(ValueError, match="at least one bar"):
        BundleSpec.from_bars({})


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=rustybt.testing.bundle_specs())
def test_hypothesis_specs_write(spec: BundleSpec) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        bundle = make_bundle(tmp, spec)
        assert bundle.sids_with_bars("daily") == sorted(spec.daily)


def test_hypothesis_is_imported_lazily() -> None:
    code = ("import sys, rustybt.testing; assert 'hypothesis' not in sys.modules; "
            "rustybt.testing.bundle_specs; assert 'hypothesis' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        rustybt.testing.nope  # noqa: B018


def test_docstring_example_runs() -> None:
    result = doctest.testmod(rustybt.testing, verbose=False)
    assert result.attempted >= 4 and result.failed == 0


def test_oracle_agrees_with_the_values_written_out_by_hand() -> None:
    spec = known_values_spec()
    o = Oracle(spec)
    s = spec.sessions
    split, div = KNOWN.SPLIT_AT, KNOWN.DIV_AT
    np.testing.assert_allclose(o.daily_history(0, "close", 3, s[split]),
                               [108 * 0.5, 109 * 0.5, 110])
    np.testing.assert_allclose(o.daily_history(0, "volume", 2, s[split]), [1009 * 2.0, 1010])
    np.testing.assert_allclose(o.daily_history(0, "price", 7, s[11]),
                               [52, 52, 53.5, 54, 54.5, 110, 111])
    np.testing.assert_allclose(o.daily_history(1, "price", 6, s[-1]),
                               [74, 75, np.nan, np.nan, np.nan, np.nan])
    ratio = 1.0 - 1.0 / (100.0 + div - 1)  # 1 - amount / previous close
    assert o.factors(0, s[4], s[div]) == pytest.approx((0.5 * ratio, 0.5))
    assert o.daily_spot(0, "price", s[6]) == 104.0
    assert o.daily_spot(0, "last_traded", s[6]) == s[4]
    assert o.asof(0, s[15], "close") == 114.0
    bars = o.bars(adjusted=True)
    first = bars[(bars["sid"] == 0)].iloc[0]
    assert first["close"] == pytest.approx(100 * 0.5 * ratio) and first["volume"] == 2000


def test_ingest_warnings_are_silenced_unless_asked_for(tmp_path: Path) -> None:
    spec = known_values_spec()  # halts at 5, 6, 15: an IngestWarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_bundle(tmp_path / "quiet", spec)
    assert not [w for w in caught if issubclass(w.category, IngestWarning)]
    with pytest.warns(IngestWarning, match="halts"):
        make_bundle(tmp_path / "loud", spec, warn=True)
