"""Exact comparison of zipline's and the shim's results (values, types, shapes, exceptions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


class Raised:
    """An exception captured from a call, compared by zipline's class."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __repr__(self) -> str:
        return f"Raised({type(self.exc).__name__}: {self.exc})"


def call(fn: Callable[[], Any]) -> Any:
    """The result of ``fn()``, or a :class:`Raised` holding what it raised."""
    try:
        return fn()
    except Exception as exc:
        return Raised(exc)


def _scalar_same(a: Any, b: Any, rtol: float) -> bool:
    if a is pd.NaT or b is pd.NaT:
        return a is b
    if isinstance(a, pd.Timestamp) or isinstance(b, pd.Timestamp):
        return type(a) is type(b) and a == b and a.tz == b.tz
    if isinstance(a, (float, np.floating)) and isinstance(b, (float, np.floating)):
        if np.isnan(a) or np.isnan(b):
            return bool(np.isnan(a) and np.isnan(b))
        return bool(a == b) if rtol == 0 else bool(np.isclose(a, b, rtol=rtol, atol=0))
    if isinstance(a, (int, np.integer)) and isinstance(b, (int, np.integer)):
        return int(a) == int(b)
    return type(a) is type(b) and bool(a == b)


def same(a: Any, b: Any, rtol: float = 0.0) -> bool:
    """True when ``b`` (the shim's) equals ``a`` (zipline's) exactly (or within ``rtol``).

    DataFrames: same shape, index (values, dtype, tz), columns (the same objects' sids and
    types), dtypes and values (NaN equal). Exceptions: ``b`` is an instance of ``a``'s class.
    """
    if isinstance(a, Raised) or isinstance(b, Raised):
        return isinstance(a, Raised) and isinstance(b, Raised) and isinstance(b.exc, type(a.exc))
    if isinstance(a, pd.DataFrame):
        if not isinstance(b, pd.DataFrame) or a.shape != b.shape:
            return False
        if not (a.index.equals(b.index) and a.index.dtype == b.index.dtype):
            return False
        if [type(c) for c in a.columns] != [type(c) for c in b.columns]:
            return False
        if [int(c) for c in a.columns] != [int(c) for c in b.columns]:
            return False
        if list(a.dtypes) != list(b.dtypes):
            return False
        x, y = a.to_numpy(), b.to_numpy()
        if rtol == 0:
            return bool(np.array_equal(x, y, equal_nan=True))
        return bool(np.allclose(x, y, rtol=rtol, atol=0, equal_nan=True))
    if isinstance(a, (list, tuple)):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(same(x, y, rtol) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, dict):
        return (
            isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k], rtol) for k in a)
        )
    if hasattr(a, "sid") and hasattr(b, "sid"):
        return type(a) is type(b) and a.sid == b.sid
    return _scalar_same(a, b, rtol)


def mismatches(
    reference: Any, portal: Any, calls: list[tuple[str, Callable[[Any], Any]]], rtol: float = 0.0
) -> list[str]:
    """Run every ``(label, fn)`` on both portals; describe the calls whose results differ."""
    out = []
    for label, fn in calls:
        want = call(lambda fn=fn: fn(reference))
        got = call(lambda fn=fn: fn(portal))
        if not same(want, got, rtol):
            out.append(f"{label}: zipline={want!r:.300} shim={got!r:.300}")
    return out
