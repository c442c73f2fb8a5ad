"""A multi-asset zipline strategy run with any DataPortal (zipline's or rustybt's shim).

The strategy uses ``data.history``, ``data.current``, ``data.can_trade`` and
``order_target_percent``: each bar it ranks the tradable assets by their return over a lookback
window and holds the better half with equal weights. zipline-reloaded's own ``TradingAlgorithm``
runs it; only the ``data_portal`` differs between runs, so identical perf frames show the shim is
a drop-in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PERF_COLUMNS", "run_compat_algorithm"]

#: Perf columns compared between portals.
PERF_COLUMNS = (
    "portfolio_value",
    "returns",
    "positions",
    "orders",
    "transactions",
    "ending_cash",
)


def run_compat_algorithm(
    data_portal: Any,
    calendar: Any,
    start: pd.Timestamp,
    end: pd.Timestamp,
    sids: list[int],
    *,
    data_frequency: str = "daily",
    lookback: int = 5,
    capital_base: float = 1_000_000.0,
) -> pd.DataFrame:
    """Run the momentum strategy from ``start`` to ``end`` on ``data_portal``; return perf.

    Args:
        data_portal: zipline's ``DataPortal`` or ``rustybt.data.DataPortal``.
        calendar: zipline's trading calendar.
        start: First session of the simulation.
        end: Last session of the simulation.
        sids: Sids traded.
        data_frequency: ``'daily'`` or ``'minute'``.
        lookback: History window in sessions.
        capital_base: Starting cash.
    """
    from zipline.algorithm import TradingAlgorithm
    from zipline.api import order_target_percent
    from zipline.finance.trading import SimulationParameters

    sim_params = SimulationParameters(
        start_session=pd.Timestamp(start),
        end_session=pd.Timestamp(end),
        trading_calendar=calendar,
        capital_base=capital_base,
        data_frequency=data_frequency,
    )

    def initialize(context: Any) -> None:
        context.assets = list(data_portal.asset_finder.retrieve_all(sids))
        context.bars = 0

    def handle_data(context: Any, data: Any) -> None:
        context.bars += 1
        if data_frequency == "minute" and context.bars % 60 != 1:
            return
        hist = data.history(context.assets, "price", lookback, "1d")
        current = data.current(context.assets, "price")
        volume = data.current(context.assets, "volume")
        tradable = [a for a in context.assets if data.can_trade(a)]
        scores = {}
        for asset in tradable:
            first = hist[asset].iloc[0]
            now = current[asset]
            if np.isfinite(first) and np.isfinite(now) and first > 0 and volume[asset] >= 0:
                scores[asset] = now / first - 1.0
        ranked = sorted(scores, key=lambda a: (-scores[a], a.sid))
        keep = ranked[: max(1, len(ranked) // 2)] if ranked else []
        for asset in tradable:
            weight = 0.9 / len(keep) if asset in keep else 0.0
            order_target_percent(asset, weight)

    benchmark = pd.Series(
        0.0, index=pd.DatetimeIndex(calendar.sessions_in_range(start, end)).tz_localize("UTC")
    )
    algo = TradingAlgorithm(
        sim_params=sim_params,
        data_portal=data_portal,
        trading_calendar=calendar,
        initialize=initialize,
        handle_data=handle_data,
        benchmark_returns=benchmark,
    )
    return algo.run()
