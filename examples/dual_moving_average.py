"""Dual moving average crossover, equal weights, with ``data.history(..., return_type='array')``.

Each session: hold ``1/N`` of the portfolio in every asset whose fast moving average of the
price is above its slow one, nothing in the others. The window comes back as a read-only NumPy
view (sessions × assets) straight from the mapped bundle.

    rustybt run -f examples/dual_moving_average.py -b demo -s 2024-04-01 -e 2024-12-31 \\
        --param fast=10 --param slow=40 -o dma.parquet --plot dma.png

Parameters (``--param``): ``symbols`` (comma-separated, default the demo bundle's
``SAAA,SAAD,SAAE``), ``fast`` (default 20) and ``slow`` (default 50) sessions. The simulation
must start ``slow`` sessions after the bundle's first session.
"""

import numpy as np

from rustybt.api import order_target_percent, record, symbols


def initialize(context):
    params = context.params
    context.fast = int(params.get("fast", 20))
    context.slow = int(params.get("slow", 50))
    if not 0 < context.fast < context.slow:
        raise ValueError(f"need 0 < fast < slow, got fast={context.fast} slow={context.slow}")
    names = str(params.get("symbols", "SAAA,SAAD,SAAE")).split(",")
    context.assets = symbols(*(n.strip() for n in names))


def handle_data(context, data):
    prices = data.history(context.assets, "price", context.slow, "1d", return_type="array")
    with np.errstate(invalid="ignore"):
        fast = np.nanmean(prices[-context.fast :], axis=0)
        slow = np.nanmean(prices, axis=0)
    weight = 1.0 / len(context.assets)
    invested = 0
    for i, asset in enumerate(context.assets):
        if not data.can_trade(asset):
            continue
        above = bool(fast[i] > slow[i])
        order_target_percent(asset, weight if above else 0.0)
        invested += above
    record(invested=invested)
