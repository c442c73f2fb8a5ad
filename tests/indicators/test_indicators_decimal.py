"""decimal_sum / decimal_mean vs Python's decimal with an exact oracle."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rustybt import InvalidIndicatorArgument, NotADecimal
from rustybt.indicators import decimal_mean, decimal_sum

DECIMALS = st.lists(
    st.one_of(
        st.integers(0, 40).flatmap(
            lambda p: st.decimals(allow_nan=False, allow_infinity=False, places=p)
        ),
        st.decimals(min_value=-(10**30), max_value=10**30, allow_nan=False, allow_infinity=False),
        st.integers(-(10**40), 10**40),
    ),
    max_size=20,
)


@settings(max_examples=50, deadline=None)
@given(DECIMALS)
def test_sum_is_exact_and_mean_is_the_exact_mean_rounded_once(values: list[Decimal | int]) -> None:
    exact = sum((Fraction(v) for v in values), Fraction(0))
    total = decimal_sum(values)
    assert Fraction(total) == exact
    if values:
        ctx = decimal.Context(prec=12, rounding=decimal.ROUND_DOWN)
        mean = exact / len(values)
        expected = ctx.divide(Decimal(mean.numerator), Decimal(mean.denominator))
        assert decimal_mean(values, context=ctx) == expected


def test_sum_does_not_round_where_builtin_sum_does() -> None:
    values = [Decimal("1e30"), Decimal("1e-30"), Decimal("-1e30")]
    assert sum(values) == 0  # the default context's 28 digits lose the 1e-30
    assert decimal_sum(values) == Decimal("1e-30")
    assert decimal.getcontext().prec == 28  # the caller's context is untouched


def test_mean_uses_the_current_context() -> None:
    assert decimal_mean([0, 0, 1]) == Decimal(1) / 3
    with decimal.localcontext(decimal.Context(prec=3, rounding=decimal.ROUND_UP)):
        assert decimal_mean([Decimal("0.1"), Decimal("0.2")]) == Decimal("0.15")
        assert decimal_mean([0, 0, 1]) == Decimal("0.334")


def test_empty_and_special_values() -> None:
    assert decimal_sum([]) == Decimal(0)
    with pytest.raises(InvalidIndicatorArgument, match="values is empty"):
        decimal_mean(iter([]))
    assert decimal_sum([Decimal(1), Decimal("NaN")]).is_nan()
    with pytest.raises(decimal.InvalidOperation):
        decimal_sum([Decimal("Infinity"), Decimal("-Infinity")])


@pytest.mark.parametrize("bad", [0.1, True, "1.5", None])
def test_non_decimals_are_refused_with_their_position(bad: object) -> None:
    with pytest.raises(NotADecimal, match=r"value at index 1 is") as err:
        decimal_sum([Decimal(1), bad])  # type: ignore[list-item]
    assert err.value.index == 1 and isinstance(err.value, TypeError)
