"""AssetFinder: lookups by sid, by symbol as of a date (symbol history), lifetimes."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from rustybt import Asset, AssetFinder, Equity, SidsNotFound, SymbolNotFound
from rustybt.testing import BundleSpec, make_bundle


def _bars(dates):
    return pd.DataFrame(
        {"date": dates, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1}
    )


@pytest.fixture
def finder(tmp_path):
    """OLD (sid 1) delists; its symbol later goes to sid 2; sid 3 renames BBB → CCC."""
    assets = pd.DataFrame(
        {
            "sid": [1, 2, 3],
            "symbol": ["OLD", "OLD", "CCC"],
            "asset_name": ["Old Co", "New Co", "Renamed Co"],
            "start_date": ["2024-01-02", "2024-03-01", "2024-01-02"],
            "end_date": ["2024-01-31", "2024-06-28", "2024-06-28"],
        }
    )
    history = pd.DataFrame(
        {
            "sid": [1, 2, 3, 3],
            "symbol": ["OLD", "OLD", "BBB", "CCC"],
            "start_date": ["2024-01-02", "2024-03-01", "2024-01-02", "2024-04-01"],
            "end_date": ["2024-01-31", "2024-06-28", "2024-03-28", "2024-06-28"],
        }
    )
    spec = BundleSpec(
        sessions=pd.DatetimeIndex(["2024-01-02"]),
        assets=assets,
        daily={1: _bars(["2024-01-02", "2024-01-31"]).iloc[:1]},
        symbol_history=history,
        pin_sessions=False,
    )
    return make_bundle(tmp_path, spec, name="b").asset_finder


def test_lookup_by_sid(finder):
    a = finder.retrieve_asset(2)
    assert isinstance(a, Equity) and a.symbol == "OLD" and a.asset_name == "New Co"
    assert a.start_date == pd.Timestamp("2024-03-01") and a.end_date == pd.Timestamp("2024-06-28")
    assert a.auto_close_date == pd.Timestamp("2024-06-29")
    assert finder.retrieve_all([3, 1]) == [finder.retrieve_asset(3), finder.retrieve_asset(1)]
    with pytest.raises(SidsNotFound, match=r"\[9\]"):
        finder.retrieve_asset(9)
    assert finder.retrieve_asset(9, default_none=True) is None
    with pytest.raises(SidsNotFound):
        finder.retrieve_all([1, 8])
    assert finder.retrieve_all([1, 8], default_none=True) == [finder.retrieve_asset(1)]
    assert 1 in finder and 9 not in finder and "x" not in finder
    assert len(finder) == 3 and finder.sids == (1, 2, 3)


def test_symbol_as_of_a_date_follows_the_history(finder):
    assert finder.lookup_symbol("OLD", "2024-01-15").sid == 1
    assert finder.lookup_symbol("old", "2024-04-15").sid == 2  # case-insensitive
    assert finder.lookup_symbol("OLD").sid == 2  # no date: the latest holder
    assert finder.lookup_symbol("BBB", "2024-02-01").sid == 3
    assert finder.lookup_symbol("CCC", pd.Timestamp("2024-05-01", tz="UTC")).sid == 3
    with pytest.raises(SymbolNotFound, match="as of 2024-02-15"):
        finder.lookup_symbol("OLD", "2024-02-15")  # between the two holders
    with pytest.raises(SymbolNotFound, match="as of 2024-05-01"):
        finder.lookup_symbol("BBB", "2024-05-01")  # after the rename
    with pytest.raises(SymbolNotFound):
        finder.lookup_symbol("NOPE")
    assert [a.sid for a in finder.lookup_symbols(["BBB", "OLD"], "2024-01-10")] == [3, 1]
    # a minute counts as its (UTC) date: the last day of a span still matches
    assert finder.lookup_symbol("OLD", pd.Timestamp("2024-01-31 20:59", tz="UTC")).sid == 1
    assert finder.lookup_symbol("OLD", pd.Timestamp("2024-01-31 15:00")).sid == 1


def test_fuzzy_lookup_ignores_delimiters(finder):
    with pytest.raises(SymbolNotFound):
        finder.lookup_symbol("O.LD", "2024-01-15")
    assert finder.lookup_symbol("O.LD", "2024-01-15", fuzzy=True).sid == 1
    assert [a.sid for a in finder.lookup_symbols(["c_c-c"], fuzzy=True)] == [3]
    assert finder.retrieve_equities([3, 1]) == {
        3: finder.retrieve_asset(3),
        1: finder.retrieve_asset(1),
    }
    assert finder.equities_sids == (1, 2, 3)


def test_lifetimes(finder):
    assert [a.sid for a in finder.lifetimes("2024-01-10")] == [1, 3]
    assert [a.sid for a in finder.lifetimes("2024-03-15")] == [2, 3]
    assert finder.retrieve_asset(1).is_alive_for_session(pd.Timestamp("2024-01-31"))
    assert not finder.retrieve_asset(1).is_alive_for_session(pd.Timestamp("2024-02-01"))
    assert not finder.retrieve_asset(2).is_alive_for_session(pd.Timestamp("2024-01-02"))
    with pytest.raises(ValueError, match="needs a session"):
        finder.lifetimes(None)


def test_asset_behaves_like_zipline_assets():
    a = Equity(5, "ABC")
    b = Asset(5)
    assert a == b and hash(a) == hash(5) and int(a) == 5 and [0, 1, 2, 3, 4, 5][a] == 5
    assert a < Equity(6) and a < 6 and a <= 5 and a > 4 and a >= Equity(5)
    assert a == 5 and a != 6 and a != "5"  # like zipline: equal to its sid
    assert repr(a) == "Equity(5 [ABC])" and repr(b) == "Asset(5)"
    assert pickle.loads(pickle.dumps(a)).symbol == "ABC"
    assert {a: 1}[b] == 1


def test_finder_without_history_uses_current_symbols():
    assets = pd.DataFrame(
        {
            "sid": [0, 1],
            "symbol": ["A", "B"],
            "start_date": [pd.NaT, pd.NaT],
            "end_date": [pd.NaT, pd.NaT],
        }
    )
    finder = AssetFinder(assets)
    assert finder.lookup_symbol("B", "1999-01-01").sid == 1
    assert [a.sid for a in finder.assets] == [0, 1]
