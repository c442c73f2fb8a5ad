"""Argument checks shared by the NumPy and Polars indicators.

Every check raises :class:`~rustybt.errors.InvalidIndicatorArgument` (a ``ValueError``) whose
message names the argument and the value given; nothing is coerced silently (``window=2.0``
and ``window=True`` are refused, not rounded).
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rustybt.errors import InvalidIndicatorArgument

FILL_METHODS = ("ffill", "bfill")


def check_window(window: object, name: str = "window") -> int:
    """``window`` as an ``int`` >= 1 (NumPy integers accepted; bools and floats refused)."""
    if isinstance(window, bool | float | np.floating | np.bool_):
        raise InvalidIndicatorArgument(f"{name} must be a positive int, got {window!r}")
    try:
        value = operator.index(window)  # type: ignore[arg-type]
    except TypeError:
        raise InvalidIndicatorArgument(
            f"{name} must be a positive int, got {window!r} ({type(window).__name__})"
        ) from None
    if value < 1:
        raise InvalidIndicatorArgument(f"{name} must be a positive int, got {value}")
    return value


def check_ddof(ddof: object) -> int:
    """``ddof`` as an ``int`` >= 0."""
    if isinstance(ddof, bool | float | np.floating | np.bool_):
        raise InvalidIndicatorArgument(f"ddof must be an int >= 0, got {ddof!r}")
    try:
        value = operator.index(ddof)  # type: ignore[arg-type]
    except TypeError:
        raise InvalidIndicatorArgument(f"ddof must be an int >= 0, got {ddof!r}") from None
    if value < 0:
        raise InvalidIndicatorArgument(f"ddof must be an int >= 0, got {value}")
    return value


def check_span(span: object) -> float:
    """``span`` as a finite real >= 1 (pandas' rule for ``ewm(span=)``); returns alpha."""
    if isinstance(span, bool | np.bool_) or not isinstance(span, int | float | np.number):
        raise InvalidIndicatorArgument(f"span must be a real number >= 1, got {span!r}")
    value = float(span)
    if not math.isfinite(value) or value < 1:
        raise InvalidIndicatorArgument(f"span must be a real number >= 1, got {span!r}")
    return 2.0 / (value + 1.0)


def check_fill(value: object, method: object) -> None:
    """Exactly one of ``value`` (a real number) and ``method`` ('ffill'/'bfill')."""
    if (value is None) == (method is None):
        raise InvalidIndicatorArgument(
            f"fillna takes exactly one of value= and method=, got value={value!r}, "
            f"method={method!r}"
        )
    if method is not None and method not in FILL_METHODS:
        raise InvalidIndicatorArgument(f"method must be 'ffill' or 'bfill', got {method!r}")
    if value is not None and (
        isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number)
    ):
        raise InvalidIndicatorArgument(f"value must be a real number, got {value!r}")


def check_bounds(start: object, end: object, length: int) -> tuple[int, int]:
    """``0 <= start <= end <= length`` as ints (``end=None`` is ``length``); no wrap-around."""
    lo = _index(start, "start")
    hi = length if end is None else _index(end, "end")
    if lo < 0 or hi > length or lo > hi:
        raise InvalidIndicatorArgument(
            f"window_slice needs 0 <= start <= end <= {length} (the length), got start={lo}, "
            f"end={hi}"
        )
    return lo, hi


def _index(value: object, name: str) -> int:
    if isinstance(value, bool | np.bool_):
        raise InvalidIndicatorArgument(f"{name} must be an int, got {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise InvalidIndicatorArgument(f"{name} must be an int, got {value!r}") from None


def as_float_array(values: Any, *, missing_inf: bool) -> NDArray[np.float64]:
    """``values`` as a 1-D or 2-D float64 array (bars along axis 0).

    Integer and float dtypes are accepted; anything else (objects, Decimals, strings, bools,
    datetimes) is refused rather than converted. With ``missing_inf`` the result is a copy
    in which ±inf are NaN (pandas' rolling and ewm treat them as missing); otherwise it may be
    the input itself (read only, never written).
    """
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":
        hint = " (use decimal_sum/decimal_mean for Decimals)" if array.dtype.kind == "O" else ""
        raise InvalidIndicatorArgument(
            f"values must be a numeric (int or float) array, got dtype {array.dtype}{hint}"
        )
    if array.ndim not in (1, 2):
        raise InvalidIndicatorArgument(
            f"values must be 1-D (bars,) or 2-D (bars, assets), got shape {array.shape}"
        )
    out = array.astype(np.float64, copy=missing_inf)
    if missing_inf:
        out[np.isinf(out)] = np.nan
    return out
