"""The 100-pair dual moving average grid in backtrader and vectorbt (benchmarks/optimization.py).

Both read the same bars as rustybt: the bundle's daily OHLCV of each asset (what a CSV export
of the bundle holds), zero commission, 10 % of the portfolio in each asset whose mean close of
the last ``short`` sessions is above that of the last ``long`` sessions (the current session
included), from the first simulated session to the last. Neither is a rustybt dependency:
``pip install 'rustybt[bench]'``; a missing one is reported and skipped.

- backtrader: ``Cerebro.optstrategy`` over the grid, ``run(maxcpus=2)`` (its own process pool,
  one strategy instance per pair); a sample of the grid is run and the time extrapolated to
  100 pairs (said so in the report). Orders fill at the next bar's open (backtrader's default).
- vectorbt: vectorized (not event-driven): ``vbt.MA`` over every window at once and
  ``Portfolio.from_orders(size_type='targetpercent')`` with one cash-shared group per pair;
  timed on its first call in this process (numba compiles, or loads its on-disk cache) and warm.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["backtrader_grid", "bars", "vectorbt_grid"]

try:
    import backtrader as bt
except ImportError:
    bt = None

if bt is not None:
    class BacktraderDMA(bt.Strategy):  # type: ignore[misc]
        """The dual MA in backtrader (module level: its process pool pickles it)."""

        params = (("short", 10), ("long", 100), ("first", None), ("n", 10))

        def __init__(self) -> None:
            self.fast = [bt.indicators.SMA(d.close, period=self.p.short) for d in self.datas]
            self.slow = [bt.indicators.SMA(d.close, period=self.p.long) for d in self.datas]

        def next(self) -> None:
            if self.datas[0].datetime.date(0) < self.p.first:
                return
            for d, fast, slow in zip(self.datas, self.fast, self.slow, strict=True):
                self.order_target_percent(data=d,
                                          target=1.0 / self.p.n if fast[0] > slow[0] else 0.0)

        def stop(self) -> None:
            self.final_value = self.broker.getvalue()


def bars(bundle: Any, n_assets: int) -> dict[int, pd.DataFrame]:
    """sid → daily OHLCV indexed by session (the bundle's own bars)."""
    out = {}
    for sid in range(n_assets):
        frame = bundle.read_daily(sid)
        out[sid] = frame.set_index(pd.DatetimeIndex(frame["date"]))[
            ["open", "high", "low", "close", "volume"]].astype(float)
    return out


def backtrader_grid(data: dict[int, pd.DataFrame], pairs: Sequence[dict[str, int]],
                    start: str, cpus: int = 2) -> dict[str, Any] | None:
    """Seconds for ``optstrategy`` over ``pairs`` on ``cpus`` CPUs (None without backtrader)."""
    if bt is None:
        return None
    cerebro = bt.Cerebro(optreturn=False, stdstats=False)
    for sid, frame in data.items():
        cerebro.adddata(bt.feeds.PandasData(dataname=frame), name=str(sid))
    cerebro.broker.setcash(1e6)
    cerebro.broker.setcommission(commission=0.0)
    # optstrategy takes one list per parameter (their product): run exactly ``pairs``
    shorts = sorted({p["short"] for p in pairs})
    longs = sorted({p["long"] for p in pairs})
    cerebro.optstrategy(BacktraderDMA, short=shorts, long=longs,
                        first=[pd.Timestamp(start).date()], n=[len(data)])
    t0 = time.perf_counter()
    runs = cerebro.run(maxcpus=cpus)
    wall = time.perf_counter() - t0
    values = {(r[0].p.short, r[0].p.long): r[0].final_value for r in runs}
    return {"wall": wall, "trials": len(runs), "values": values}


def vectorbt_grid(data: dict[int, pd.DataFrame], pairs: Sequence[dict[str, int]],
                  start: str) -> dict[str, Any] | None:
    """Seconds of the first and of a warm call over ``pairs`` (None without vectorbt)."""
    try:
        t0 = time.perf_counter()
        import vectorbt as vbt
        imported = time.perf_counter() - t0
    except ImportError:
        return None
    close = pd.DataFrame({sid: frame["close"] for sid, frame in data.items()})
    n = close.shape[1]

    def once() -> pd.Series:
        fast = vbt.MA.run(close, window=[p["short"] for p in pairs]).ma.to_numpy()
        slow = vbt.MA.run(close, window=[p["long"] for p in pairs]).ma.to_numpy()
        keep = close.index >= pd.Timestamp(start)
        weights = np.where(fast[keep] > slow[keep], 1.0 / n, 0.0)
        columns = pd.MultiIndex.from_tuples(
            [(p["short"], p["long"], sid) for p in pairs for sid in close.columns],
            names=["short", "long", "sid"])
        prices = pd.DataFrame(np.tile(close.to_numpy()[keep], len(pairs)),
                              index=close.index[keep], columns=columns)
        size = pd.DataFrame(weights, index=prices.index, columns=columns)
        pf = vbt.Portfolio.from_orders(prices, size, size_type="targetpercent",
                                       group_by=["short", "long"], cash_sharing=True,
                                       call_seq="auto", init_cash=1e6, fees=0.0, freq="1D")
        return pf.total_return()

    t0 = time.perf_counter()
    first = once()
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    warm = once()
    t_warm = time.perf_counter() - t0
    pd.testing.assert_series_equal(first, warm)
    best = warm.idxmax()
    return {"import": imported, "first": t_first, "warm": t_warm, "trials": len(warm),
            "best": {"short": int(best[0]), "long": int(best[1])}}
