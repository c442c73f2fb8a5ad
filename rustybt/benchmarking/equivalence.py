"""Functional equivalence: does a candidate's result equal the baseline's, and where not?

An optimization may only change how fast a workload runs, never what it computes: before the
sequential evaluation measures one, it compares the candidate's result with the all-off
baseline's, and any difference rejects it (blocking). :func:`first_difference` walks both
results and names the first place they differ, or returns None.

Design and invariants:
- Exact by default: numbers are equal when ``==`` (NaN equals NaN, in the same place); with
  ``rtol``/``atol`` > 0 two reals are equal when ``|candidate - baseline| <= atol + rtol *
  |baseline|`` (NumPy's ``isclose`` with the baseline as reference). Any other difference is
  one: a column's name, order or dtype, an index label, a key, a length, a type (an int and a
  float of the same value are equal; a bool is not a number here; ``pd.NA``/``NaT`` equal
  themselves).
- Supported results: pandas DataFrame and Series, NumPy arrays, mappings, lists and tuples
  (recursively), numbers, strings, None and any type whose ``==`` answers a bool. A result
  ``==`` cannot compare raises :class:`~rustybt.errors.ResultsNotComparable` (never a silent
  "equal").
- The first difference of a frame is in row-major order (the lowest row, then the leftmost
  column); the message names the path, row position, index label, column and both values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from rustybt.benchmarking._json import FieldReader, JsonRecord, check_name
from rustybt.errors import InvalidBenchmarkRecord, ResultsNotComparable

__all__ = ["EquivalenceCheck", "describe_tolerance", "first_difference"]


def describe_tolerance(rtol: float = 0.0, atol: float = 0.0) -> str:
    """``'exact'``, or the tolerance as ``'rtol=1e-09, atol=0'``."""
    _check_tolerance(rtol, atol)
    return "exact" if rtol == 0 and atol == 0 else f"rtol={rtol:g}, atol={atol:g}"


def _check_tolerance(rtol: float, atol: float) -> None:
    for name, value in (("rtol", rtol), ("atol", atol)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, not {value!r}")


def _is_real(x: object) -> bool:
    return isinstance(x, Real | np.number) and not isinstance(x, bool | np.bool_)


def _reals_equal(a: Any, b: Any, rtol: float, atol: float) -> bool:
    fa, fb = float(a), float(b)
    if math.isnan(fa) or math.isnan(fb):
        return math.isnan(fa) and math.isnan(fb)
    if rtol == 0 and atol == 0:
        return bool(a == b)
    return abs(fb - fa) <= atol + rtol * abs(fa)  # a: the baseline


def _show(x: object) -> str:
    return repr(x.item() if isinstance(x, np.generic) else x)[:80]


def _scalar_difference(path: str, a: Any, b: Any, rtol: float, atol: float) -> str | None:
    if (a is pd.NA or a is pd.NaT) and a is b:  # missing in both (their == is not a bool)
        return None
    boolish = isinstance(a, bool | np.bool_), isinstance(b, bool | np.bool_)
    if all(boolish):
        same = bool(a) == bool(b)
    elif _is_real(a) and _is_real(b):
        same = _reals_equal(a, b, rtol, atol)
    else:
        related = not any(boolish) and (isinstance(a, type(b)) or isinstance(b, type(a)))
        if not related and a is not None and b is not None:
            return (f"{path}: the baseline holds a {type(a).__name__} ({_show(a)}), the candidate "
                    f"a {type(b).__name__} ({_show(b)})")
        try:
            answer = a == b
        except Exception as exc:
            raise ResultsNotComparable(f"{path}: cannot compare {type(a).__name__} values "
                                       f"({exc!r})") from exc
        if not isinstance(answer, bool | np.bool_):
            raise ResultsNotComparable(
                f"{path}: {type(a).__name__} == answers a {type(answer).__name__}, not a bool; "
                "return a DataFrame, array, dict, list or plain values")
        same = bool(answer)
    return None if same else f"{path}: baseline {_show(a)} != candidate {_show(b)}"


def _column_mismatch(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Boolean mask of the positions where two equal-length 1-d arrays differ."""
    if a.dtype.kind in "fiuc" and b.dtype.kind in "fiuc":
        if rtol == 0 and atol == 0:
            both_nan = (np.isnan(a) & np.isnan(b)) if a.dtype.kind in "fc" else False
            return ~((a == b) | both_nan)
        return ~np.isclose(b.astype(float), a.astype(float), rtol=rtol, atol=atol,
                           equal_nan=True)
    return np.array([_scalar_difference("", x, y, rtol, atol) is not None
                     for x, y in zip(a.tolist(), b.tolist(), strict=True)], dtype=bool)


def _index_difference(path: str, what: str, a: pd.Index, b: pd.Index) -> str | None:
    if len(a) != len(b):
        return f"{path}: the baseline has {len(a)} {what}, the candidate {len(b)}"
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if _scalar_difference("", x, y, 0.0, 0.0) is not None:
            return (f"{path}: {what[:-1]} {i} is {_show(x)} in the baseline, {_show(y)} in "
                    "the candidate")
    return None


def _frame_difference(path: str, a: pd.DataFrame, b: pd.DataFrame, rtol: float,
                      atol: float) -> str | None:
    found = _index_difference(path, "columns", a.columns, b.columns)
    found = found or _index_difference(path, "rows", a.index, b.index)
    if found:
        return found
    for i, col in enumerate(a.columns):  # by position: column names may repeat
        if a.dtypes.iloc[i] != b.dtypes.iloc[i]:
            return (f"{path}, column {col!r}: dtype {a.dtypes.iloc[i]} in the baseline, "
                    f"{b.dtypes.iloc[i]} in the candidate")
    if a.empty:
        return None
    masks = np.column_stack([
        _column_mismatch(a.iloc[:, i].to_numpy(), b.iloc[:, i].to_numpy(), rtol, atol)
        for i in range(a.shape[1])])
    if not masks.any():
        return None
    row, col = np.unravel_index(int(np.argmax(masks.ravel())), masks.shape)
    name = a.columns[col]
    return (f"{path}, row {row} (index {_show(a.index[row])}), column {name!r}: baseline "
            f"{_show(a.iat[row, col])} != candidate {_show(b.iat[row, col])}")


def first_difference(baseline: object, candidate: object, *, rtol: float = 0.0,
                     atol: float = 0.0, path: str = "result") -> str | None:
    """The first place ``candidate`` differs from ``baseline`` (module docstring), or None.

    Raises:
        ValueError: ``rtol`` or ``atol`` is negative or not finite.
        ResultsNotComparable: a value's ``==`` raises or does not answer a bool.
    """
    _check_tolerance(rtol, atol)
    return _difference(path, baseline, candidate, rtol, atol)


def _difference(path: str, a: Any, b: Any, rtol: float, atol: float) -> str | None:
    containers = (pd.DataFrame, pd.Series, np.ndarray, Mapping, list, tuple)
    container = isinstance(a, containers) or isinstance(b, containers)
    both_maps = isinstance(a, Mapping) and isinstance(b, Mapping)
    if container and type(a) is not type(b) and not both_maps:
        return (f"{path}: the baseline is a {type(a).__name__}, the candidate a "
                f"{type(b).__name__}")
    if isinstance(a, pd.DataFrame):
        return _frame_difference(path, a, b, rtol, atol)
    if isinstance(a, pd.Series):
        if a.name != b.name:
            return f"{path}: series name {a.name!r} in the baseline, {b.name!r} in the candidate"
        return _frame_difference(path, a.to_frame(), b.to_frame(), rtol, atol)
    if isinstance(a, np.ndarray):
        if a.shape != b.shape or a.dtype != b.dtype:
            return (f"{path}: array {a.dtype}{list(a.shape)} in the baseline, "
                    f"{b.dtype}{list(b.shape)} in the candidate")
        mask = _column_mismatch(a.ravel(), b.ravel(), rtol, atol)
        if not mask.any():
            return None
        flat = int(np.argmax(mask))
        where = tuple(int(i) for i in np.unravel_index(flat, a.shape))
        return (f"{path}{list(where)}: baseline {_show(a.ravel()[flat])} != candidate "
                f"{_show(b.ravel()[flat])}")
    if isinstance(a, Mapping):
        missing = [k for k in a if k not in b]
        extra = [k for k in b if k not in a]
        if missing or extra:
            return (f"{path}: keys only in the baseline {missing!r:.80}, only in the candidate "
                    f"{extra!r:.80}")
        for key in a:
            found = _difference(f"{path}[{key!r}]", a[key], b[key], rtol, atol)
            if found:
                return found
        return None
    if isinstance(a, list | tuple):
        if len(a) != len(b):
            return f"{path}: {len(a)} items in the baseline, {len(b)} in the candidate"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _difference(f"{path}[{i}]", x, y, rtol, atol)
            if found:
                return found
        return None
    return _scalar_difference(path, a, b, rtol, atol)


@dataclass(frozen=True)
class EquivalenceCheck(JsonRecord):
    """The outcome of comparing a candidate's result with the reference result.

    Attributes:
        reference: What the result was compared with (``all flags off``).
        method: ``exact`` or the tolerance (:func:`describe_tolerance`).
        equivalent: Whether no difference was found.
        difference: The first difference (:func:`first_difference`); None iff equivalent.
    """

    reference: str
    method: str
    equivalent: bool
    difference: str | None = None

    def __post_init__(self) -> None:
        kind = type(self).__name__
        check_name(kind, "reference", self.reference)
        check_name(kind, "method", self.method)
        if type(self.equivalent) is not bool:
            raise InvalidBenchmarkRecord(f"{kind}.equivalent must be a bool, "
                                         f"not {self.equivalent!r}")
        if self.equivalent != (self.difference is None):
            raise InvalidBenchmarkRecord(
                f"{kind}: equivalent={self.equivalent} but difference={self.difference!r} "
                "(a difference is given exactly when the results are not equivalent)")
        if self.difference is not None:
            check_name(kind, "difference", self.difference)

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values."""
        return {"reference": self.reference, "method": self.method,
                "equivalent": self.equivalent, "difference": self.difference}

    @classmethod
    def _read(cls, r: FieldReader) -> EquivalenceCheck:
        return cls(r.text("reference"), r.text("method"), r.boolean("equivalent"),
                   r.opt_text("difference"))
