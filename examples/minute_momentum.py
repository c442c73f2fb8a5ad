"""Intraday momentum on minute bars, flat at every close.

Every ``every`` minutes: go long ``1/N`` of the portfolio in each asset whose price rose over
the last ``lookback`` minutes (``data.history(..., '1m')``), flat in the others. Five minutes
before the close everything is sold (``schedule_function`` with ``market_close(minutes=5)``),
so no position is held overnight. ``before_trading_start`` resets the day's counter.

    rustybt run -f examples/minute_momentum.py -b demo -s 2024-12-23 -e 2024-12-31 \\
        --data-frequency minute --param symbols=SAAA,SAAB

Parameters: ``symbols`` (default ``SAAA,SAAB``: the demo bundle's assets with minute bars),
``lookback`` (30) and ``every`` (30) minutes.
"""

from rustybt.api import (
    date_rules,
    order_target,
    order_target_percent,
    record,
    schedule_function,
    symbols,
    time_rules,
)


def initialize(context):
    params = context.params
    names = str(params.get("symbols", "SAAA,SAAB")).split(",")
    context.assets = symbols(*(n.strip() for n in names))
    context.lookback = int(params.get("lookback", 30))
    context.every = int(params.get("every", 30))
    context.minute = 0
    context.decisions = 0
    schedule_function(flatten, date_rules.every_day(), time_rules.market_close(minutes=5))


def before_trading_start(context, data):
    context.minute = 0
    context.decisions = 0


def handle_data(context, data):
    context.minute += 1
    if context.minute < context.lookback or context.minute % context.every:
        return
    if context.minute > 385:  # the last minutes belong to flatten()
        return
    prices = data.history(context.assets, "price", context.lookback, "1m")
    weight = 1.0 / len(context.assets)
    for asset in context.assets:
        if not data.can_trade(asset):
            continue
        window = prices[asset].dropna()
        rising = len(window) > 1 and window.iloc[-1] > window.iloc[0]
        order_target_percent(asset, weight if rising else 0.0)
    context.decisions += 1


def flatten(context, data):
    for asset in context.assets:
        if data.can_trade(asset):
            order_target(asset, 0)
    record(decisions=context.decisions)
