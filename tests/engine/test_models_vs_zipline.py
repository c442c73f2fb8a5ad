"""Orders, slippage and commission models against zipline-reloaded's own classes.

Both sides read the same one-bar market (a tiny object with ``current`` and ``current_dt``, the
interface zipline's models read; it stands in for a bar, not for rustybt's data layer).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rustybt.engine import commission as rc
from rustybt.engine import slippage as rs
from rustybt.engine.orders import (
    LimitOrder,
    Order,
    StopLimitOrder,
    StopOrder,
    asymmetric_round_price,
)

zipline = pytest.importorskip("zipline")
from zipline.assets import Equity  # noqa: E402
from zipline.finance import commission as zc  # noqa: E402
from zipline.finance import slippage as zs  # noqa: E402
from zipline.finance.execution import asymmetric_round_price as z_round  # noqa: E402
from zipline.finance.order import Order as ZOrder  # noqa: E402

DT = pd.Timestamp("2024-01-02 21:00", tz="UTC")
ASSET = Equity(1, "XNYS")


class Bar:
    """One bar of one asset."""

    def __init__(self, close: float, volume: int) -> None:
        self.values = {"close": close, "price": close, "volume": volume}
        self.current_dt = DT

    def current(self, asset: Any, field: str) -> Any:
        return self.values[field]


prices = st.integers(100, 100_000).map(lambda c: c / 100)


@settings(max_examples=200, deadline=None)
@given(prices, st.booleans(), st.booleans())
def test_asymmetric_rounding_equals_zipline(price: float, down: bool, fine: bool) -> None:
    tick = 0.0001 if fine else 0.01
    assert asymmetric_round_price(price, down, tick) == pytest.approx(
        z_round(price, down, tick), abs=1e-12)


orders = st.lists(st.tuples(
    st.integers(-5000, 5000).filter(bool),
    st.one_of(st.none(), prices),  # limit
    st.one_of(st.none(), prices),  # stop
), min_size=1, max_size=4)
models = st.sampled_from(["volume_share", "fixed_bps", "fixed", "none"])


def _models(kind: str) -> tuple[Any, Any]:
    if kind == "volume_share":
        return rs.VolumeShareSlippage(), zs.VolumeShareSlippage()
    if kind == "fixed_bps":
        return rs.FixedBasisPointsSlippage(), zs.FixedBasisPointsSlippage()
    if kind == "fixed":
        return rs.FixedSlippage(0.05), zs.FixedSlippage(0.05)
    return rs.NoSlippage(), zs.NoSlippage()


@settings(max_examples=150, deadline=None)
@given(orders, prices, st.integers(0, 200_000), models)
def test_fills_equal_zipline(specs: list[tuple[int, Any, Any]], close: float, volume: int,
                             kind: str) -> None:
    ours, theirs = _models(kind)
    bar = Bar(close, volume)
    mine, zips = [], []
    for amount, limit, stop in specs:
        if limit is not None and stop is not None:
            style: Any = StopLimitOrder(limit, stop)
        elif limit is not None:
            style = LimitOrder(limit)
        elif stop is not None:
            style = StopOrder(stop)
        else:
            style = None
        lim = style.get_limit_price(amount > 0) if style else None
        stp = style.get_stop_price(amount > 0) if style else None
        mine.append(Order(DT, ASSET, amount, stop=stp, limit=lim))
        zips.append(ZOrder(DT, ASSET, amount, stop=stp, limit=lim))
    got = [(o.id, p, a) for o, p, a in ours.simulate(bar, ASSET, mine)]
    want = [(o.id, t.price, t.amount) for o, t in theirs.simulate(bar, ASSET, zips)]
    by_id = {o.id: i for i, o in enumerate(mine)}
    z_by_id = {o.id: i for i, o in enumerate(zips)}
    assert [(by_id[i], p, a) for i, p, a in got] == [(z_by_id[i], p, a) for i, p, a in want]
    for m, z in zip(mine, zips, strict=True):
        assert (m.stop, m.limit, m.stop_reached, m.limit_reached) == (
            z.stop, z.limit, z.stop_reached, z.limit_reached)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-3000, 3000).filter(bool), min_size=1, max_size=4), prices,
       st.sampled_from(["per_share", "per_share_min", "per_trade", "per_dollar"]))
def test_commissions_equal_zipline(fills: list[int], price: float, kind: str) -> None:
    ours: Any
    theirs: Any
    if kind == "per_share":
        ours, theirs = rc.PerShare(), zc.PerShare()
    elif kind == "per_share_min":
        ours, theirs = rc.PerShare(0.005, 1.0), zc.PerShare(0.005, 1.0)
    elif kind == "per_trade":
        ours, theirs = rc.PerTrade(5.0), zc.PerTrade(5.0)
    else:
        ours, theirs = rc.PerDollar(), zc.PerDollar()
    total = sum(abs(f) for f in fills)
    mine = Order(DT, ASSET, total)
    zord = ZOrder(DT, ASSET, total)
    for fill in fills:
        amount = abs(fill)
        c = ours.calculate(mine, amount, Decimal(repr(price)))
        z = theirs.calculate(zord, _Txn(amount, price))
        assert float(c) == pytest.approx(z, rel=1e-12, abs=1e-12)
        mine.filled += amount
        mine.commission += c
        zord.filled += amount
        zord.commission += z


class _Txn:
    def __init__(self, amount: int, price: float) -> None:
        self.amount, self.price = amount, price


def test_bad_prices_are_refused() -> None:
    from rustybt.errors import BadOrderParameters

    for bad in (float("nan"), -1.0, "x"):
        with pytest.raises(BadOrderParameters):
            LimitOrder(bad)  # type: ignore[arg-type]
