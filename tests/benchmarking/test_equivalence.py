"""The functional-equivalence check: exact by default, the first difference named."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rustybt.benchmarking import EquivalenceCheck, describe_tolerance, first_difference
from rustybt.errors import InvalidBenchmarkRecord, ResultsNotComparable


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"short": [5, 5, 10], "sharpe": [1.5, math.nan, -0.25],
                         "status": ["ok", "ok", "ok"]}, index=[10, 11, 12])


def test_identical_results_have_no_difference() -> None:
    a = {"frame": _frame(), "arr": np.arange(6.0).reshape(2, 3), "xs": [1, 2.5, None, "s"]}
    b = {"frame": _frame(), "arr": np.arange(6.0).reshape(2, 3), "xs": [1, 2.5, None, "s"]}
    assert first_difference(a, b) is None  # NaN in the same place is equal


def test_frame_difference_names_row_index_column_and_values() -> None:
    b = _frame()
    b.loc[12, "sharpe"] = -0.25000000000000006  # one ulp-ish away: exact means exact
    b.loc[11, "status"] = "error"
    assert first_difference(_frame(), b) == (
        "result, row 1 (index 11), column 'status': baseline 'ok' != candidate 'error'")
    b.loc[11, "status"] = "ok"
    assert first_difference(_frame(), b) == (
        "result, row 2 (index 12), column 'sharpe': baseline -0.25 != candidate "
        "-0.25000000000000006")
    assert first_difference(_frame(), b, rtol=1e-12) is None


def test_frame_structure_differences() -> None:
    assert first_difference(_frame(), _frame()[["sharpe", "short", "status"]]) == (
        "result: column 0 is 'short' in the baseline, 'sharpe' in the candidate")
    assert first_difference(_frame(), _frame().iloc[:2]) == (
        "result: the baseline has 3 rows, the candidate 2")
    assert first_difference(_frame(), _frame().astype({"short": "float64"})) == (
        "result, column 'short': dtype int64 in the baseline, float64 in the candidate")
    moved = _frame().set_axis([10, 11, 13])
    assert first_difference(_frame(), moved) == (
        "result: row 2 is 12 in the baseline, 13 in the candidate")


def test_nested_containers_and_types() -> None:
    assert first_difference({"a": 1, "b": 2}, {"a": 1, "c": 2}) == (
        "result: keys only in the baseline ['b'], only in the candidate ['c']")
    assert first_difference([1, [2, 3]], [1, [2, 4]]) == "result[1][1]: baseline 3 != candidate 4"
    assert first_difference([1, 2], [1, 2, 3]) == (
        "result: 2 items in the baseline, 3 in the candidate")
    assert first_difference(np.zeros(3), np.zeros(4)) == (
        "result: array float64[3] in the baseline, float64[4] in the candidate")
    assert first_difference(np.eye(2), np.array([[1.0, 0], [0.5, 1]])) == (
        "result[1, 0]: baseline 0.0 != candidate 0.5")
    assert first_difference(_frame(), _frame().to_dict()) == (
        "result: the baseline is a DataFrame, the candidate a dict")
    assert first_difference(1, 1.0) is None and first_difference(np.float64(2), 2) is None
    assert first_difference(True, 1) == (
        "result: the baseline holds a bool (True), the candidate a int (1)")
    assert first_difference(np.True_, True) is None
    assert first_difference("x", 1) == (
        "result: the baseline holds a str ('x'), the candidate a int (1)")
    assert first_difference(math.nan, 0.0) == "result: baseline nan != candidate 0.0"
    assert first_difference(pd.Series([1.0], name="a"), pd.Series([1.0], name="b")) == (
        "result: series name 'a' in the baseline, 'b' in the candidate")


def test_missing_values_and_repeated_column_names() -> None:
    a = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"),
                      "t": [pd.Timestamp("2024-01-02"), pd.NaT]})
    assert first_difference(a, a.copy()) is None
    b = a.copy()
    b.loc[1, "n"] = 3
    assert first_difference(a, b) == (
        "result, row 1 (index 1), column 'n': baseline <NA> != candidate 3")
    twice = pd.DataFrame([[1, 2]], columns=["x", "x"])
    assert first_difference(twice, pd.DataFrame([[1, 3]], columns=["x", "x"])) == (
        "result, row 0 (index 0), column 'x': baseline 2 != candidate 3")


def test_tolerance_is_relative_to_the_baseline() -> None:
    assert first_difference(100.0, 100.00009, rtol=1e-6) is None
    assert first_difference(100.0, 100.00011, rtol=1e-6) == (
        "result: baseline 100.0 != candidate 100.00011")
    assert first_difference(np.array([100.0]), np.array([100.00009]), rtol=1e-6) is None
    assert first_difference(0.0, 1e-9, atol=1e-8) is None
    assert describe_tolerance() == "exact"
    assert describe_tolerance(1e-9) == "rtol=1e-09, atol=0"
    with pytest.raises(ValueError, match="atol must be a finite number >= 0"):
        first_difference(1, 1, atol=math.inf)


def test_uncomparable_values_raise_naming_where() -> None:
    class Odd:
        def __eq__(self, other: object) -> object:
            return np.array([True, False])

        __hash__ = object.__hash__

    with pytest.raises(ResultsNotComparable, match=r"result\['x'\]: Odd == answers a ndarray"):
        first_difference({"x": Odd()}, {"x": Odd()})


def test_equivalence_check_record() -> None:
    ok = EquivalenceCheck("all off", "exact", True)
    bad = EquivalenceCheck("all off", "exact", False, "result[0]: baseline 1 != candidate 2")
    for rec in (ok, bad):
        assert EquivalenceCheck.from_json(rec.to_json()) == rec
    with pytest.raises(InvalidBenchmarkRecord, match="a difference is given exactly when"):
        EquivalenceCheck("all off", "exact", True, "result: x")
    with pytest.raises(InvalidBenchmarkRecord, match="'equivalent' must be a bool"):
        EquivalenceCheck.from_json(ok.to_json().replace('"equivalent": true', '"equivalent": 1'))
