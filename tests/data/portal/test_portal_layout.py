"""Every (bars, assets) window is C-contiguous, whichever path computed it.

numpy's reductions sum in a different order on a row-major and a column-major array
(``mean(axis=0)`` is pairwise along a contiguous axis), so a strategy's signal could differ
in the last bits between two bars whose windows took different paths, and between rustybt
and zipline (whose frames wrap row-major arrays, as ``pd.DataFrame(array)`` does). A
column-major fast path once moved a minute benchmark's crossover by one minute.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from support import Oracle

from rustybt import ArrowDataPortal
from rustybt.testing import make_bundle, random_spec

FIELDS = ("price", "close", "volume")


def _layout(out: object) -> str:
    values = out.values if isinstance(out, pd.DataFrame) else out
    assert isinstance(values, np.ndarray)
    return "C" if values.flags.c_contiguous else "F" if values.flags.f_contiguous else "?"


@pytest.fixture(scope="module")
def daily(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    spec = random_spec(7, 4, 40)
    return spec, make_bundle(tmp_path_factory.mktemp("d"), spec, name="t")


@pytest.fixture(scope="module")
def minute(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    spec = random_spec(11, 3, 8, minute=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bundle = make_bundle(tmp_path_factory.mktemp("m"), spec, name="t")
    return spec, bundle, Oracle(spec)


@pytest.mark.parametrize("exact", [False, True])
def test_daily_windows_are_row_major(daily: tuple, exact: bool) -> None:
    spec, bundle = daily
    p = ArrowDataPortal(bundle, zipline_exact=exact)
    seen = set()
    for end in spec.sessions[5:]:
        for field in FIELDS:
            for return_type in ("array", "dataframe"):
                for _ in range(2):  # the second request of a row list uses its _Group
                    out = p.history([0, 1, 2, 3], field, 5, "1d", end, return_type=return_type)
                    seen.add((field, return_type, _layout(out)))
        window = p.get_history_window([0, 1, 2, 3], end, 5, "1d", "close", "daily")
        seen.add(("window", "dataframe", _layout(window)))
    assert {layout for *_, layout in seen} == {"C"}, sorted(seen)


def test_minute_windows_are_row_major(minute: tuple) -> None:
    _spec, bundle, oracle = minute
    p = ArrowDataPortal(bundle)
    seen = set()
    for end in oracle.minutes[1600::37]:
        for field in FIELDS:
            for return_type in ("array", "dataframe"):
                out = p.history([0, 1, 2], field, 30, "1m", end, return_type=return_type)
                seen.add(("1m", field, return_type, _layout(out)))
                out = p.history([0, 1, 2], field, 3, "1d", end, data_frequency="minute",
                                return_type=return_type)
                seen.add(("1d", field, return_type, _layout(out)))
    assert {layout for *_, layout in seen} == {"C"}, sorted(seen)


def test_minute_array_of_a_list_equals_the_general_path(minute: tuple) -> None:
    """The '1m' array fast path for a list of assets gives the DataFrame path's values bit
    for bit (gaps, halts, adjustments inside the window, the first minutes of a day)."""
    _spec, bundle, oracle = minute
    p = ArrowDataPortal(bundle)
    checked = 0
    for end in oracle.minutes[400::53]:
        for field in FIELDS:
            for bar_count in (1, 30, 400):
                try:
                    frame = p.history([0, 1, 2], field, bar_count, "1m", end)
                except Exception as err:  # both paths must raise the same
                    with pytest.raises(type(err)):
                        p.history([0, 1, 2], field, bar_count, "1m", end, return_type="array")
                    continue
                got = p.history([2, 0], field, bar_count, "1m", end, return_type="array")
                np.testing.assert_array_equal(got, frame[[2, 0]].to_numpy())
                got = p.history([0, 1, 2], field, bar_count, "1m", end, return_type="array")
                np.testing.assert_array_equal(got, frame.to_numpy())
                assert got.flags.c_contiguous
                checked += 1
    assert checked > 100
