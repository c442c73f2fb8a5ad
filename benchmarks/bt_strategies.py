"""The strategies of benchmarks/backtest.py, one definition run by both engines.

Each factory takes the engine's ``api`` module (``rustybt.api`` or ``zipline.api``), the number
of assets and the history ``return_type`` (None: zipline's call, no keyword) and returns
``(initialize, handle_data)``. They add the seconds spent in ``data.history`` and in their own
arithmetic to :class:`Clock`, which the worker reads.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np


class Clock:
    """Seconds spent in history() and in the strategy's own arithmetic."""

    history = 0.0
    strategy = 0.0


def _setup(api: Any, context: Any, n_assets: int) -> None:
    """The assets (sids 0..n-1), and zero commission and slippage, in either engine."""
    context.assets = [api.sid(s) for s in range(n_assets)]
    api.set_commission(api.commission.PerShare(cost=0.0))
    api.set_slippage(api.slippage.FixedSlippage(spread=0.0))


def dma(api: Any, n_assets: int, return_type: str | None) -> tuple[Any, Any]:
    """initialize/handle_data of the 20/50 dual moving average."""
    perf = time.perf_counter

    def initialize(context: Any) -> None:
        _setup(api, context, n_assets)

    def handle_data(context: Any, data: Any) -> None:
        t0 = perf()
        if return_type is None:
            hist = data.history(context.assets, "price", 50, "1d")
        else:
            hist = data.history(context.assets, "price", 50, "1d", return_type=return_type)
        t1 = perf()
        if return_type == "array":
            long_ = hist.mean(axis=0)
            short = hist[-20:].mean(axis=0)
            longs = short > long_
            t2 = perf()
            weight = 1.0 / len(context.assets)
            for j, asset in enumerate(context.assets):
                api.order_target_percent(asset, weight if longs[j] else 0.0)
        else:
            long_s = hist.mean()
            short_s = hist.iloc[-20:].mean()
            longs_s = short_s > long_s
            t2 = perf()
            weight = 1.0 / len(context.assets)
            for asset in context.assets:
                api.order_target_percent(asset, weight if longs_s[asset] else 0.0)
        Clock.history += t1 - t0
        Clock.strategy += t2 - t1

    return initialize, handle_data


def rebalance(api: Any, n_assets: int, return_type: str | None) -> tuple[Any, Any]:
    """Monthly: hold the 50 best 60-session momentum assets, equal weight."""
    perf = time.perf_counter

    def initialize(context: Any) -> None:
        _setup(api, context, n_assets)
        api.schedule_function(monthly, api.date_rules.month_start())

    def monthly(context: Any, data: Any) -> None:
        t0 = perf()
        kw = {} if return_type is None else {"return_type": return_type}
        hist = data.history(context.assets, "price", 61, "1d", **kw)
        t1 = perf()
        values = np.asarray(hist)
        momentum = values[-1] / values[0] - 1.0
        keep = set(np.argsort(-momentum)[:50].tolist())
        t2 = perf()
        for j, asset in enumerate(context.assets):
            api.order_target_percent(asset, 1.0 / 50 if j in keep else 0.0)
        Clock.history += t1 - t0
        Clock.strategy += t2 - t1

    return initialize, None


def dma_minute(api: Any, n_assets: int, return_type: str | None) -> tuple[Any, Any]:
    """The 20/50 dual moving average on minute bars; orders only when an asset's signal flips."""
    perf = time.perf_counter

    def initialize(context: Any) -> None:
        _setup(api, context, n_assets)
        context.long = [None] * n_assets

    def handle_data(context: Any, data: Any) -> None:
        t0 = perf()
        if return_type is None:
            hist = data.history(context.assets, "price", 50, "1m")
        else:
            hist = data.history(context.assets, "price", 50, "1m", return_type=return_type)
        t1 = perf()
        values = hist if return_type == "array" else hist.to_numpy()
        longs = (values[-20:].mean(axis=0) > values.mean(axis=0)).tolist()
        t2 = perf()
        weight = 1.0 / len(context.assets)
        for j, asset in enumerate(context.assets):
            if longs[j] != context.long[j]:
                context.long[j] = longs[j]
                api.order_target_percent(asset, weight if longs[j] else 0.0)
        Clock.history += t1 - t0
        Clock.strategy += t2 - t1

    return initialize, handle_data


STRATEGIES = {"dma": dma, "rebalance": rebalance, "minute": dma_minute}


