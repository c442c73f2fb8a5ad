"""The Decimal ledger against an exact oracle (Fractions), over random event sequences.

Invariant at every step: ``portfolio_value == cash + Σ amount × last_sale_price`` exactly, and
cash, positions and cost bases equal the oracle's (plain rational arithmetic with zipline's
rules written out longhand).
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from rustybt.engine.ledger import Ledger, Transaction
from rustybt.engine.money import MONEY_CONTEXT, to_money

DAY = pd.Timestamp("2024-01-02", tz="UTC")

cents = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100)
event = st.one_of(
    st.tuples(st.just("trade"), st.integers(0, 2), st.integers(-300, 300), cents),
    st.tuples(st.just("commission"), st.integers(0, 2), st.integers(0, 500).map(
        lambda c: Decimal(c) / 100)),
    st.tuples(st.just("price"), st.integers(0, 2), cents),
    st.tuples(st.just("split"), st.integers(0, 2), st.sampled_from([0.5, 0.25, 2.0, 4.0])),
    st.tuples(st.just("dividend"), st.integers(0, 2), st.integers(1, 300).map(
        lambda c: Decimal(c) / 100)),
)


class Oracle:
    """zipline's bookkeeping with Fractions."""

    def __init__(self, capital: Fraction) -> None:
        self.cash = capital
        self.pos: dict[int, list[Fraction]] = {}  # sid -> [amount, cost_basis, last_price]
        self.owed = Fraction(0)

    def trade(self, sid: int, amount: int, price: Fraction) -> None:
        self.cash -= price * amount
        amt, cost, _ = self.pos.get(sid, [Fraction(0), Fraction(0), Fraction(0)])
        total = amt + amount
        if total == 0:
            self.pos.pop(sid, None)
            return
        if amt == 0 or (amt > 0) == (amount > 0):
            cost = (cost * amt + price * amount) / total
        elif abs(amount) > abs(amt):
            cost = price
        self.pos[sid] = [total, cost, price]

    def commission(self, sid: int, cost: Fraction) -> None:
        if sid in self.pos and cost:
            amt, basis, last = self.pos[sid]
            self.pos[sid] = [amt, (basis * amt + cost) / amt, last]
        self.cash -= cost

    def value(self) -> Fraction:
        return self.cash + sum((a * last for a, _, last in self.pos.values()), Fraction(0))


@settings(max_examples=60, deadline=None)
@given(st.lists(event, min_size=1, max_size=40))
def test_ledger_matches_the_oracle_and_balances_at_every_step(events: list[tuple]) -> None:
    with decimal.localcontext(MONEY_CONTEXT):
        _check_events(events)


def _check_events(events: list[tuple]) -> None:
    ledger = Ledger(Decimal(100_000))
    oracle = Oracle(Fraction(100_000))
    for step, ev in enumerate(events):
        kind, sid = ev[0], ev[1]
        dt = DAY + np.timedelta64(step, "m")
        if kind == "trade" and ev[2] != 0:
            ledger.process_transaction(Transaction(sid, ev[2], dt, ev[3], None))
            oracle.trade(sid, ev[2], Fraction(ev[3]))
        elif kind == "commission":
            ledger.process_commission(sid, ev[2])
            oracle.commission(sid, Fraction(ev[2]))
        elif kind == "price" and sid in ledger.positions:
            ledger.sync_last_sale_prices(lambda a, p=float(ev[2]): p, dt)
            for held in oracle.pos.values():
                held[2] = Fraction(ev[2])
        elif kind == "split":
            before = ledger.portfolio_value
            held = ledger.positions.get(sid)
            expected = Decimal(0)
            if held is not None:  # zipline's rule, longhand: the fraction is paid in cash at
                r = Decimal(repr(ev[2]))  # the new cost basis, not at the last price
                raw = Decimal(held.amount) / r
                frac = raw - int(raw)
                new_cost = (held.cost_basis * r).quantize(Decimal("0.01"))
                expected = (frac * new_cost).quantize(Decimal("0.01")) - frac * (
                    held.last_sale_price * r)
            ledger.process_splits([(sid, ev[2])])
            assert ledger.portfolio_value - before == expected
            oracle = _resync(oracle, ledger)
        elif kind == "dividend":
            ledger.earn_dividends([SimpleNamespace(asset=sid, amount=float(ev[2]),
                                                    pay_date=DAY.tz_localize(None))])
            ledger.pay_dividends(DAY.tz_localize(None))
            held = oracle.pos.get(sid)
            if held:
                oracle.cash += held[0] * Fraction(ev[2])
        # the invariant, exactly
        total = ledger.cash + sum((p.amount * p.last_sale_price
                                   for p in ledger.positions.values()), Decimal(0))
        assert ledger.portfolio_value == total
        assert Fraction(ledger.cash) == oracle.cash
        assert Fraction(ledger.portfolio_value) == oracle.value()
        assert {s: p.amount for s, p in ledger.positions.items()} == {
            s: int(v[0]) for s, v in oracle.pos.items()}
        for s, p in ledger.positions.items():
            assert abs(Fraction(p.cost_basis) - oracle.pos[s][1]) < Fraction(1, 10**20)


def _resync(oracle: Oracle, ledger: Ledger) -> Oracle:
    """After a split the oracle adopts the ledger's state (checked separately below)."""
    fresh = Oracle(Fraction(0))
    fresh.cash = Fraction(ledger.cash)
    fresh.pos = {s: [Fraction(p.amount), Fraction(p.cost_basis), Fraction(p.last_sale_price)]
                 for s, p in ledger.positions.items()}
    return fresh


def test_split_follows_zipline_and_pays_the_fraction_in_cash() -> None:
    ledger = Ledger(Decimal(10_000))
    ledger.process_transaction(Transaction(0, 100, DAY, Decimal("30.00"), None))
    ledger.process_splits([(0, 3.0)])  # a 1:3 reverse split: prices × 3, shares ÷ 3
    position = ledger.positions[0]
    assert position.amount == 33
    assert position.cost_basis == Decimal("90.00")
    assert position.last_sale_price == Decimal("90.00")  # rustybt scales it (zipline does not)
    # 1/3 share at the new cost basis 90.00 = 30.00 (rounded to the cent)
    assert ledger.cash == Decimal(10_000) - Decimal(3000) + Decimal("30.00")
    assert ledger.portfolio_value == Decimal(10_000)


def test_dividend_is_earned_on_ex_date_and_paid_on_pay_date() -> None:
    ledger = Ledger(Decimal(10_000))
    ledger.process_transaction(Transaction(0, 10, DAY, Decimal("100"), None))
    pay = pd.Timestamp("2024-01-10")
    ledger.earn_dividends([SimpleNamespace(asset=0, amount=0.25, pay_date=pay)])
    ledger.pay_dividends(pd.Timestamp("2024-01-09"))
    assert ledger.cash == Decimal(9000)
    ledger.pay_dividends(pay)
    assert ledger.cash == Decimal("9002.50")


def test_closing_a_position_removes_it_and_zeroes_cost() -> None:
    ledger = Ledger(Decimal(1000))
    ledger.process_transaction(Transaction(0, 5, DAY, Decimal("10"), None))
    txn = ledger.close_position(0, DAY, float("nan"))  # no price: last sale price
    assert txn is not None and txn.amount == -5 and txn.price == Decimal("10")
    assert ledger.positions == {} and ledger.cash == Decimal(1000)


def test_money_boundary_takes_the_shortest_repr() -> None:
    assert to_money(100.12) == Decimal("100.12")
    assert to_money(0.1 + 0.2) == Decimal("0.30000000000000004")
    for bad in (float("nan"), float("inf")):
        try:
            to_money(bad)
        except ValueError as exc:
            assert "finite" in str(exc)
        else:  # pragma: no cover
            raise AssertionError("to_money accepted a non-finite value")
