"""``rustybt.api``: zipline's API functions, bound to the algorithm that is running.

``from rustybt.api import order_target_percent, record, symbol`` works in an algorithm file
as ``from zipline.api import ...`` does: each function calls the method of the
:class:`~rustybt.engine.algorithm.TradingAlgorithm` being run (a context variable, so
threads and nested runs each see their own algorithm).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rustybt.engine.blotter import EODCancel, NeverCancel
from rustybt.engine.commission import NoCommission, PerDollar, PerShare, PerTrade
from rustybt.engine.orders import LimitOrder, MarketOrder, StopLimitOrder, StopOrder
from rustybt.engine.scheduling import date_rules, time_rules
from rustybt.engine.slippage import (
    FixedBasisPointsSlippage,
    FixedSlippage,
    NoSlippage,
    VolumeShareSlippage,
)
from rustybt.errors import AlgorithmError

__all__ = [
    "EODCancel", "FixedBasisPointsSlippage", "FixedSlippage", "LimitOrder", "MarketOrder",
    "NeverCancel", "NoCommission", "NoSlippage", "PerDollar", "PerShare", "PerTrade",
    "StopLimitOrder", "StopOrder", "VolumeShareSlippage", "cancel_order", "commission",
    "date_rules", "get_datetime", "get_open_orders", "get_order", "order", "order_percent",
    "order_target", "order_target_percent", "order_target_value", "order_value", "record",
    "running", "schedule_function", "set_benchmark", "set_cancel_policy", "set_commission",
    "set_long_only", "set_max_leverage", "set_max_order_count", "set_max_order_size",
    "set_max_position_size", "set_slippage", "sid", "slippage", "symbol", "symbols",
    "time_rules",
]

_current: contextvars.ContextVar[Any] = contextvars.ContextVar("rustybt_algorithm", default=None)


@contextmanager
def running(algorithm: Any) -> Iterator[None]:
    """Make ``algorithm`` the target of the API functions inside the block."""
    token = _current.set(algorithm)
    try:
        yield
    finally:
        _current.reset(token)


def _algo() -> Any:
    algo = _current.get()
    if algo is None:
        raise AlgorithmError("rustybt.api functions work only inside a running algorithm "
                             "(run_algorithm or `rustybt run`)")
    return algo


def _bind(name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        algo = _current.get()  # _algo() inlined: these run for every order
        if algo is None:
            _algo()  # raises
        return getattr(algo, name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"Call ``{name}`` of the running algorithm (see TradingAlgorithm.{name})."
    return call


order = _bind("order")
order_value = _bind("order_value")
order_percent = _bind("order_percent")
order_target = _bind("order_target")
order_target_value = _bind("order_target_value")
order_target_percent = _bind("order_target_percent")
cancel_order = _bind("cancel_order")
get_order = _bind("get_order")
get_open_orders = _bind("get_open_orders")
get_datetime = _bind("get_datetime")
record = _bind("record")
symbol = _bind("symbol")
symbols = _bind("symbols")
sid = _bind("sid")
schedule_function = _bind("schedule_function")
set_commission = _bind("set_commission")
set_slippage = _bind("set_slippage")
set_benchmark = _bind("set_benchmark")
set_cancel_policy = _bind("set_cancel_policy")
set_long_only = _bind("set_long_only")
set_max_leverage = _bind("set_max_leverage")
set_max_order_count = _bind("set_max_order_count")
set_max_order_size = _bind("set_max_order_size")
set_max_position_size = _bind("set_max_position_size")


class commission:
    """Commission models (``commission.PerShare(cost=0.001)``...)."""

    PerShare = PerShare
    PerTrade = PerTrade
    PerDollar = PerDollar
    NoCommission = NoCommission


class slippage:
    """Slippage models (``slippage.VolumeShareSlippage()``...)."""

    FixedBasisPointsSlippage = FixedBasisPointsSlippage
    VolumeShareSlippage = VolumeShareSlippage
    FixedSlippage = FixedSlippage
    NoSlippage = NoSlippage
