"""The one boundary where float prices become ``Decimal`` money.

Market data is float64 (the mapped store's columns); money in the ledger is ``Decimal`` (the
PRD's rule). Every float that enters the ledger — a fill price, a last sale price, a dividend
amount, a commission — passes through :func:`to_money`, which takes the float's shortest repr
(``Decimal(repr(x))``): a price stored as ``100.12`` becomes exactly ``Decimal('100.12')``,
not the 50-digit binary expansion ``Decimal(100.12)`` would give. Arithmetic then runs in
:data:`MONEY_CONTEXT` (34 significant digits, half-even; the engine enters it with
``decimal.localcontext`` for the whole run), far beyond any cent: sums of
``amount × price`` over a backtest are exact. Results leave the ledger as floats
(:func:`to_float`) for analysis; those floats equal zipline's float ledger to ~1e-15 relative.

Measured on the dev machine (CPython 3.12, C ``decimal``): ``to_money`` 0.35 µs, a Decimal
multiply-add 0.1 µs; a 10-asset daily backtest makes ~40,000 such operations (≈ 15 ms).
"""

from __future__ import annotations

import decimal
import math
from decimal import Decimal

__all__ = ["MONEY_CONTEXT", "ZERO", "to_float", "to_money"]

#: The arithmetic context of the ledger (34 digits: IEEE decimal128's precision).
MONEY_CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN)
ZERO = Decimal(0)

#: float → its money, for the prices a backtest sees again and again (a dict hit is ~0.05 µs,
#: ``Decimal(repr(x))`` ~0.35 µs). The mapping is a pure function of the float (only the
#: zeros, equal keys with different reprs, are kept out); bounded by clearing when full.
_SEEN: dict[float, Decimal] = {}
_SEEN_MAX = 1 << 16


def to_money(value: float | int | Decimal) -> Decimal:
    """``value`` as ``Decimal`` by its shortest repr (``100.12`` → ``Decimal('100.12')``).

    Raises:
        ValueError: ``value`` is NaN or infinite (money is always finite).
    """
    if type(value) is float:
        money = _SEEN.get(value)
        if money is not None:
            return money
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"cannot turn {x!r} into money: prices and amounts must be finite")
    money = Decimal(repr(x))
    if x:  # not 0.0 / -0.0: they are equal keys but different Decimals
        if len(_SEEN) >= _SEEN_MAX:
            _SEEN.clear()
        _SEEN[x] = money
    return money


def to_float(value: Decimal) -> float:
    """``value`` as the nearest float (results and metrics are floats)."""
    return float(value)
