"""Limit entries and stop-loss exits, placed by ``schedule_function`` once a week.

At the start of each week: when flat, place a limit buy ``dip`` below the current price; when
long, replace the stop-loss sell ``stop`` below the higher of the cost basis and the current
price (a weekly trailing stop). Orders stay open until filled or replaced
(``NeverCancel``). Every day at the close the open orders and the position are recorded.

    rustybt run -f examples/limit_stop_orders.py -b demo -s 2024-02-01 -e 2024-12-31 \\
        --param symbol=SAAA --param dip=0.01 --param stop=0.03

Parameters: ``symbol`` (default ``SAAA``), ``dip`` (0.01), ``stop`` (0.03), ``cash`` (the
fraction of the portfolio a buy spends, 0.5).
"""

from rustybt.api import (
    NeverCancel,
    cancel_order,
    date_rules,
    get_open_orders,
    order,
    record,
    schedule_function,
    set_cancel_policy,
    symbol,
    time_rules,
)


def initialize(context):
    params = context.params
    context.asset = symbol(str(params.get("symbol", "SAAA")))
    context.dip = float(params.get("dip", 0.01))
    context.stop = float(params.get("stop", 0.03))
    context.cash = float(params.get("cash", 0.5))
    set_cancel_policy(NeverCancel())
    schedule_function(rebalance, date_rules.week_start(), time_rules.market_open(minutes=30))
    schedule_function(report, date_rules.every_day(), time_rules.market_close())


def rebalance(context, data):
    asset = context.asset
    if not data.can_trade(asset):
        return
    for open_order in get_open_orders(asset):
        cancel_order(open_order)
    price = data.current(asset, "price")
    position = context.portfolio.positions[asset]
    if position.amount == 0:
        shares = int(context.portfolio.portfolio_value * context.cash / price)
        order(asset, shares, limit_price=round(price * (1 - context.dip), 2))
    else:
        reference = max(position.cost_basis, price)
        order(asset, -position.amount, stop_price=round(reference * (1 - context.stop), 2))


def report(context, data):
    record(
        shares=context.portfolio.positions[context.asset].amount,
        open_orders=len(get_open_orders(context.asset)),
    )
