"""Exact sums and means of ``Decimal`` sequences (cash, fills, commissions).

``decimal_sum`` is exact: it adds under a private context with the largest precision and
exponent range the ``decimal`` module allows, with ``Inexact`` and ``Rounded`` trapped, so the
result is the mathematical sum of the inputs or an exception, never a rounded value (Python's
``sum`` rounds to the current context, 28 significant digits by default). The caller's
context is neither used nor changed.

``decimal_mean`` divides that exact sum by the count once, under ``context`` (default: the
current context, ``decimal.getcontext()``: 28 digits, ``ROUND_HALF_EVEN`` unless changed).
So the mean is the exact mean correctly rounded to that context — one rounding, however many
values — e.g. ``Decimal(1) / 3`` digits for ``[0, 0, 1]``.

Inputs are ``Decimal`` or ``int`` (both exact). A float, a bool, a string or anything else
raises :class:`~rustybt.errors.NotADecimal` naming its position and value: a float is not
the decimal it prints as (``Decimal(0.1)`` has 55 digits), so the caller converts it
deliberately, usually with ``Decimal(str(x))``. Special values follow ``decimal``: a quiet
NaN makes the result NaN, infinities add as infinities (``+inf`` plus ``-inf`` raises
``decimal.InvalidOperation``), a signalling NaN raises.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import Decimal

from rustybt.errors import InvalidIndicatorArgument, NotADecimal

__all__ = ["decimal_mean", "decimal_sum"]

_EXACT = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.Inexact, decimal.Rounded, decimal.InvalidOperation, decimal.Overflow],
)


def _exact_sum(values: Iterable[Decimal | int]) -> tuple[Decimal, int]:
    total = Decimal(0)
    count = 0
    for count, value in enumerate(values, start=1):
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            hint = (
                " (convert it deliberately, e.g. Decimal(str(x)))"
                if isinstance(value, float)
                else ""
            )
            raise NotADecimal(
                f"value at index {count - 1} is {value!r} ({type(value).__name__}), not a "
                f"Decimal or int{hint}",
                index=count - 1,
                value=value,
            )
        total = _EXACT.add(total, Decimal(value))
    return total, count


def decimal_sum(values: Iterable[Decimal | int]) -> Decimal:
    """The exact sum of ``values`` (``Decimal(0)`` when empty); never rounded.

    Raises:
        NotADecimal: a value that is not a ``Decimal`` or ``int``.
    """
    return _exact_sum(values)[0]


def decimal_mean(
    values: Iterable[Decimal | int], context: decimal.Context | None = None
) -> Decimal:
    """The exact mean of ``values``, rounded once under ``context`` (default: the current one).

    Raises:
        NotADecimal: a value that is not a ``Decimal`` or ``int``.
        InvalidIndicatorArgument: ``values`` is empty (a mean of nothing is undefined).
    """
    total, count = _exact_sum(values)
    if count == 0:
        raise InvalidIndicatorArgument("decimal_mean: values is empty (no mean of nothing)")
    ctx = decimal.getcontext() if context is None else context
    return ctx.divide(total, Decimal(count))
