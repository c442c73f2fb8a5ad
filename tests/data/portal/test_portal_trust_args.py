"""Issue 9 (trust): no look-ahead before the data, no silently wrong coercion of arguments.

Every call here once returned wrong numbers or a bare traceback: an ``end_dt`` before the first
session served the first session's bars; a float or bool sid was truncated to another asset;
duplicate fields gave frames and arrays of different shapes; ``np.int64`` sids, ``np.str_``
fields, float bar counts, empty field lists and ``NaT`` raised unrelated errors.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rustybt import (
    ArrowDataPortal,
    InvalidAsset,
    InvalidBarCount,
    InvalidDate,
    InvalidField,
    NoDataOnDate,
)
from rustybt.testing import make_bundle, random_spec


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DatetimeIndex, ArrowDataPortal]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = random_spec(5, 3, 12, minute=True)
        bundle = make_bundle(tmp_path_factory.mktemp("trust"), spec, name="trust")
    return spec.sessions, ArrowDataPortal(bundle)


def _first(sessions: pd.DatetimeIndex) -> str:
    return str(sessions[0].date())


# ------------------------------------------------------------------ look-ahead
BEFORE = [
    "2000-01-03",
    pd.Timestamp("2000-01-03"),
    pd.Timestamp("2000-01-03 15:00", tz="UTC"),
    np.datetime64("2000-01-03"),
    dt.date(2000, 1, 3),
    20240102,  # an int is nanoseconds since the epoch: a 1970 date
]


@pytest.mark.parametrize("end", BEFORE, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize(
    "call",
    [
        dict(assets=0, return_type="array"),  # fast path, one asset
        dict(assets=[0, 1], return_type="array"),  # fast path, a list
        dict(assets=[0], return_type="dataframe"),  # fast path, a frame
        dict(assets=[0], fields=["close", "open"]),  # general path
        dict(assets=0, data_frequency="minute"),  # '1d' over minute data
        dict(assets=0, frequency="1m", return_type="array"),  # fast '1m'
        dict(assets=[0, 1], frequency="1m"),  # general '1m'
    ],
    ids=["one", "many", "frame", "general", "1d-minute", "1m-one", "1m-many"],
)
def test_end_dt_before_the_first_session_raises(
    world: tuple[pd.DatetimeIndex, ArrowDataPortal], end: object, call: dict
) -> None:
    sessions, portal = world
    kw = dict(call)
    assets, fields = kw.pop("assets"), kw.pop("fields", "close")
    with pytest.raises(NoDataOnDate, match=f"before the data's first .*{_first(sessions)}"):
        portal.history(assets, fields, 1, end_dt=end, **kw)


def test_end_dt_before_the_first_session_raises_with_a_cache(
    tmp_path: Path, world: tuple[pd.DatetimeIndex, ArrowDataPortal]
) -> None:
    from rustybt import HistoryCache

    sessions, portal = world
    cached = ArrowDataPortal(portal.bundle, cache=HistoryCache())
    with pytest.raises(NoDataOnDate, match=_first(sessions)):
        cached.history(0, "close", 1, end_dt="2000-01-03", return_type="array")


def test_the_first_session_itself_still_resolves(
    world: tuple[pd.DatetimeIndex, ArrowDataPortal]
) -> None:
    sessions, portal = world
    first = sessions[0]
    for end in (first, first.tz_localize("UTC"), str(first.date()), first.value):
        a = portal.history(0, "close", 1, end_dt=end, return_type="array")
        b = portal.history([0], ["close"], 1, end_dt=end)
        assert a.shape == (1,) and len(b) == 1
    # the session's close minute (the spot/'1m' style dt) is the first session too
    close = portal.calendar.session_close(first)
    assert portal.history([0], "close", 1, end_dt=close).index[0] == first


def test_spot_before_the_data_is_nan_not_the_first_bar(
    world: tuple[pd.DatetimeIndex, ArrowDataPortal]
) -> None:
    _, portal = world
    # zipline: before an asset's start date a spot value is NaN (volume 0), never a later bar
    assert np.isnan(portal.get_spot_value(0, "close", "2000-01-03", "daily"))
    assert portal.get_spot_value(0, "volume", "2000-01-03", "daily") == 0
    assert np.isnan(portal.get_spot_value(0, "close", pd.Timestamp("2000-01-03", tz="UTC"),
                                          "minute"))


@pytest.mark.parametrize("nat", [pd.NaT, np.datetime64("NaT", "ns")], ids=["pd", "np"])
@pytest.mark.parametrize(
    "kw",
    [dict(return_type="array"), dict(), dict(frequency="1m", return_type="array"),
     dict(frequency="1m")],
    ids=["fast", "general", "1m-fast", "1m-general"],
)
def test_end_dt_nat_names_end_dt(
    world: tuple[pd.DatetimeIndex, ArrowDataPortal], nat: object, kw: dict
) -> None:
    _, portal = world
    with pytest.raises(InvalidDate, match="end_dt is NaT"):
        portal.history(0, "close", 2, end_dt=nat, **kw)
    with pytest.raises(InvalidDate, match="end_dt is NaT"):
        portal.history([0, 1], ["close", "open"], 2, end_dt=nat)


# ------------------------------------------------------------------ assets
@pytest.mark.parametrize(
    "assets",
    [2.7, 2.0, np.float64(1.0), True, np.bool_(False), [2.7], [0, 1.0], [True, False]],
    ids=repr,
)
@pytest.mark.parametrize("return_type", ["array", "dataframe"])
def test_float_and_bool_sids_are_refused(
    world: tuple[pd.DatetimeIndex, ArrowDataPortal], assets: object, return_type: str
) -> None:
    _, portal = world
    with pytest.raises(InvalidAsset, match="not a sid"):
        portal.history(assets, "close", 2, return_type=return_type)
    with pytest.raises(InvalidAsset, match="not a sid"):
        portal.history(assets, ["close", "open"], 2, return_type=return_type)


def test_float_and_bool_sids_are_refused_by_spot_values(
    world: tuple[pd.DatetimeIndex, ArrowDataPortal]
) -> None:
    sessions, portal = world
    for asset in (2.7, True):
        with pytest.raises(InvalidAsset):
            portal.get_spot_value(asset, "close", sessions[3], "daily")
        with pytest.raises(InvalidAsset):
            portal.get_spot_value(asset, "open", sessions[3], "minute")
    with pytest.raises(InvalidAsset):
        portal.get_spot_value([0, 1.5], "close", sessions[3], "daily")


def test_a_symbol_string_says_how_to_resolve_it(
    world: tuple[pd.DatetimeIndex, ArrowDataPortal]
) -> None:
    sessions, portal = world
    for call in (
        lambda: portal.history("A0", "close", 2),
        lambda: portal.history("A0", "close", 2, return_type="array"),
        lambda: portal.history(["A0"], "close", 2),
        lambda: portal.get_spot_value("A0", "close", sessions[3], "daily"),
    ):
        with pytest.raises(InvalidAsset, match=r"'A0' is a str.*lookup_symbol\('A0'"):
            call()
    # the documented way works
    asset = portal.asset_finder.lookup_symbol("A0", sessions[-1])
    assert portal.history(asset, "close", 2).shape == (2,)


@pytest.mark.parametrize("kind", [np.int64, np.int32, np.uint16])
def test_numpy_integer_sids_are_sids(
    world: tuple[pd.DatetimeIndex, ArrowDataPortal], kind: type
) -> None:
    sessions, portal = world
    end = sessions[-2]
    sid = kind(1)
    np.testing.assert_array_equal(
        portal.history(sid, "close", 3, end_dt=end, return_type="array"),
        portal.history(1, "close", 3, end_dt=end, return_type="array"))
    pd.testing.assert_series_equal(
        portal.history(sid, "close", 3, end_dt=end),
        portal.history(1, "close", 3, end_dt=end), check_names=False)
    np.testing.assert_array_equal(
        portal.history([kind(0), sid], "close", 3, end_dt=end, return_type="array"),
        portal.history([0, 1], "close", 3, end_dt=end, return_type="array"))
    np.testing.assert_array_equal(
        portal.history(sid, "close", 3, "1m", return_type="array"),
        portal.history(1, "close", 3, "1m", return_type="array"))
    np.testing.assert_array_equal(
        portal.history(sid, ["close", "volume"], 3, end_dt=end, return_type="array"),
        portal.history(1, ["close", "volume"], 3, end_dt=end, return_type="array"))
    for field, freq in (("close", "daily"), ("open", "daily"), ("close", "minute")):
        a = portal.get_spot_value(sid, field, end, freq)
        b = portal.get_spot_value(1, field, end, freq)
        assert a == b or (np.isnan(a) and np.isnan(b))
    assert portal.get_last_traded_dt(sid, end, "daily") == portal.get_last_traded_dt(
        1, end, "daily")


# ------------------------------------------------------------------ fields
def test_duplicate_fields_are_refused(world: tuple[pd.DatetimeIndex, ArrowDataPortal]) -> None:
    _, portal = world
    for rt in ("dataframe", "array", "polars", "arrow"):
        with pytest.raises(InvalidField, match="'close' twice"):
            portal.history([0], ["close", "close"], 2, return_type=rt)
        with pytest.raises(InvalidField, match="'close' twice"):
            portal.history(0, ["open", "close", "close"], 2, return_type=rt)


def test_empty_fields_are_refused(world: tuple[pd.DatetimeIndex, ArrowDataPortal]) -> None:
    _, portal = world
    for fields in ([], ()):
        with pytest.raises(InvalidField, match="fields is empty"):
            portal.history([0], fields, 2)
    with pytest.raises(InvalidField, match="not int"):
        portal.history([0], 5, 2)  # type: ignore[arg-type]
    with pytest.raises(InvalidField, match="Invalid field: 5"):
        portal.history([0], [5], 2)  # type: ignore[list-item]


def test_numpy_str_fields_are_fields(world: tuple[pd.DatetimeIndex, ArrowDataPortal]) -> None:
    sessions, portal = world
    end = sessions[-2]
    pd.testing.assert_series_equal(
        portal.history(0, np.str_("close"), 3, end_dt=end),
        portal.history(0, "close", 3, end_dt=end))
    np.testing.assert_array_equal(
        portal.history([0, 1], np.str_("close"), 3, end_dt=end, return_type="array"),
        portal.history([0, 1], "close", 3, end_dt=end, return_type="array"))
    pd.testing.assert_frame_equal(
        portal.history([0], [np.str_("close"), np.str_("open")], 3, end_dt=end),
        portal.history([0], ["close", "open"], 3, end_dt=end))


# ------------------------------------------------------------------ bar_count
@pytest.mark.parametrize("bar_count", [5.0, 2.5, True, "5", None], ids=repr)
@pytest.mark.parametrize("return_type", ["array", "dataframe"])
def test_non_integer_bar_counts_are_refused(
    world: tuple[pd.DatetimeIndex, ArrowDataPortal], bar_count: object, return_type: str
) -> None:
    _, portal = world
    for assets in (0, [0, 1]):
        with pytest.raises(InvalidBarCount, match="bar_count must be an int"):
            portal.history(assets, "close", bar_count, return_type=return_type)  # type: ignore[arg-type]
    with pytest.raises(InvalidBarCount, match="bar_count must be an int"):
        portal.history(0, "close", bar_count, "1m", return_type=return_type)  # type: ignore[arg-type]


def test_numpy_integer_bar_count_is_a_bar_count(
    world: tuple[pd.DatetimeIndex, ArrowDataPortal]
) -> None:
    _, portal = world
    np.testing.assert_array_equal(
        portal.history(0, "close", np.int64(4), return_type="array"),
        portal.history(0, "close", 4, return_type="array"))
    assert portal.history([0, 1], ["close"], np.int32(4)).shape == (8, 1)
