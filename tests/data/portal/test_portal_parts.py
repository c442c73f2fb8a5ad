"""The portal's seams: BundleLike, DataPortalLike, the adjustment reader, HistoryRequest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from rustybt import ArrowDataPortal, InvalidField, InvalidFrequency, InvalidReturnType, SidsNotFound
from rustybt.data.bundles import Bundle
from rustybt.data.bundles.protocol import BundleLike
from rustybt.data.portal import AdjustmentReaderLike, DataPortalLike, HistoryRequest
from rustybt.errors import InvalidBarCount
from rustybt.testing import KNOWN, known_values_spec, make_bundle

DIV_AT = KNOWN.DIV_AT


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Bundle, ArrowDataPortal]:
    spec = known_values_spec()
    bundle = make_bundle(tmp_path_factory.mktemp("parts"), spec, name="fixed")
    assert isinstance(bundle, Bundle)
    return spec.sessions, bundle, ArrowDataPortal(bundle)


class OnlyTheProtocol:
    """Forwards exactly BundleLike's members to a bundle: anything else is an AttributeError."""

    def __init__(self, bundle: Bundle) -> None:
        self._bundle = bundle

    def __getattr__(self, name: str) -> Any:
        if name not in BundleLike.__protocol_attrs__:  # type: ignore[attr-defined]
            raise AttributeError(name)
        return getattr(self._bundle, name)


def test_bundle_satisfies_bundle_like(world: tuple) -> None:
    _, bundle, _ = world
    assert isinstance(bundle, BundleLike)
    assert not isinstance(object(), BundleLike)


def test_the_protocol_is_all_the_store_and_portal_read(world: tuple, tmp_path: Path) -> None:
    s, bundle, portal = world
    # a fresh cache dir: the stores are built through the protocol's members only
    only = OnlyTheProtocol(bundle)
    only.__dict__["cache_dir"] = tmp_path / "cache"
    other = ArrowDataPortal(only)  # type: ignore[arg-type]  # duck-typed: no Bundle methods
    assert (tmp_path / "cache" / "daily.arrow").exists()
    for field in ("close", "price", "volume"):
        np.testing.assert_array_equal(
            other.history([0, 1, 2], field, 10, end_dt=s[DIV_AT + 2], return_type="array"),
            portal.history([0, 1, 2], field, 10, end_dt=s[DIV_AT + 2], return_type="array"))
    assert other.get_spot_value(0, "price", s[DIV_AT], "daily") == \
        portal.get_spot_value(0, "price", s[DIV_AT], "daily")
    assert other.get_stock_dividends(2, s[10:20]) == portal.get_stock_dividends(2, s[10:20])
    assert len(other.adjustment_reader.get_dividends_with_ex_date([0], s[DIV_AT],
                                                                  other.asset_finder)) == 1
    with pytest.raises(TypeError, match="sql"):
        other.sql("select 1")
    with pytest.raises(TypeError, match="int"):
        ArrowDataPortal(3)  # type: ignore[arg-type]


def test_arrow_portal_satisfies_data_portal_like(world: tuple) -> None:
    s, _, portal = world
    assert isinstance(portal, DataPortalLike)
    reader = portal.adjustment_reader
    assert isinstance(reader, AdjustmentReaderLike)
    assert portal.adjustment_reader is reader  # built once
    finder = portal.asset_finder
    (cash,) = reader.get_dividends_with_ex_date([0, 2], s[DIV_AT], finder)
    assert (cash.asset.sid, cash.amount) == (0, 1.0)
    assert cash.pay_date == pd.Timestamp(s[DIV_AT], tz="UTC")
    (stock,) = reader.get_stock_dividends_with_ex_date([2], s[15], finder)
    assert (stock.asset.sid, stock.payment_asset.sid, stock.ratio) == (2, 0, 0.1)
    assert reader.get_dividends_with_ex_date([0], s[DIV_AT + 1], finder) == []


def test_history_request_resolves_once(world: tuple) -> None:
    s, _, portal = world
    row_of = portal.store("daily").row_of
    finder = portal.asset_finder
    a = finder.retrieve_asset(2)
    req = HistoryRequest.resolve([a, 0], "close", 5, "1d", s[10], None, "array", row_of)
    assert req.end_ns == pd.Timestamp(s[10]).value and type(req.end_ns) is int
    assert req.sids == (2, 0) and req.rows == (row_of[2], row_of[0])
    assert req.assets == (a, 0) and req.fields == ("close",)
    assert (req.single_asset, req.single_field, req.data_frequency) == (False, True, "daily")
    one = HistoryRequest.resolve(a, ["open", "close"], 5, "1m", None, "1m", "polars", row_of)
    assert (one.single_asset, one.single_field, one.data_frequency, one.end_ns) == \
        (True, False, "minute", None)
    with pytest.raises(AttributeError):
        req.bar_count = 3  # type: ignore[misc]  # immutable
    # zipline's order: fields, frequency, data frequency, return type, bar count, assets
    bad = dict(assets=[99], fields="nope", bar_count=0, frequency="2d", end_dt=None,
               data_frequency="hourly", return_type="xml", row_of=row_of)
    for error, fix in ((InvalidField, {"fields": "close"}), (InvalidFrequency, {"frequency": "1d"}),
                       (InvalidFrequency, {"data_frequency": None}),
                       (InvalidReturnType, {"return_type": "arrow"}),
                       (InvalidBarCount, {"bar_count": 3}), (SidsNotFound, {})):
        with pytest.raises(error):
            HistoryRequest.resolve(**bad)
        bad.update(fix)
