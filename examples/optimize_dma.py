"""Dual moving average for ``rustybt optimize``: the windows come from ``context.params``.

Each session: hold ``1/N`` of the portfolio in every asset whose ``short``-session mean price is
above its ``long``-session mean, nothing in the others. An ordinary ``rustybt run`` file: one
backtest with fixed values, or a search over them::

    rustybt run -f examples/optimize_dma.py -b demo -s 2024-06-03 -e 2024-12-31 \\
        --param short=10 --param long=60
    rustybt optimize -f examples/optimize_dma.py -b demo -s 2024-06-03 -e 2024-12-31 \\
        --param short=5:50:5 --param long=60:120:20 --constraint "short < long" \\
        --objective sharpe -o trials.parquet

Parameters: ``short`` (default 20) and ``long`` (default 50) sessions, ``n_assets`` (default
3: the assets with sids ``0 .. n_assets-1``). ``short >= long`` raises, so such a trial is
recorded as failed (``--constraint "short < long"`` skips those points instead). Sessions
before the bundle's first one count as missing prices (``nanmean``).
"""

import warnings

import numpy as np

from rustybt.api import order_target_percent, record, sid


def initialize(context):
    params = context.params
    context.short = int(params.get("short", 20))
    context.long = int(params.get("long", 50))
    if not 0 < context.short < context.long:
        raise ValueError(f"need 0 < short < long, got short={context.short} long={context.long}")
    context.assets = [sid(i) for i in range(int(params.get("n_assets", 3)))]


def handle_data(context, data):
    prices = data.history(context.assets, "price", context.long, "1d", return_type="array")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns before the first bar
        short = np.nanmean(prices[-context.short :], axis=0)
        long_ = np.nanmean(prices, axis=0)
    weight = 1.0 / len(context.assets)
    invested = 0
    for i, asset in enumerate(context.assets):
        above = bool(short[i] > long_[i])
        order_target_percent(asset, weight if above else 0.0)
        invested += above
    record(invested=invested)
