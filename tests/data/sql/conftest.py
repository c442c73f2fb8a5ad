"""Fixtures of the SQL tests (helpers live in sql_testutil.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sql_testutil import SESSIONS, bars_frame, minute_frame, write_bundle

from rustybt import Bundle


@pytest.fixture
def small_bundle(tmp_path: Path) -> Bundle:
    """Two assets over 30 sessions: a halt, a split, a merger, dividends, a few minute bars."""
    s = SESSIONS[:30]
    rng = np.random.default_rng(7)
    a = bars_frame(s, 100 + np.cumsum(rng.normal(0, 1, 30)), rng.integers(100, 1000, 30))
    b = bars_frame(s, 50 + np.cumsum(rng.normal(0, 1, 30)), rng.integers(100, 1000, 30))
    b = b.drop(index=[10, 11]).reset_index(drop=True)  # halted two sessions
    return write_bundle(
        tmp_path,
        {1: a, 2: b},
        splits=pd.DataFrame({"sid": [1], "effective_date": [s[12]], "ratio": [0.5]}),
        mergers=pd.DataFrame({"sid": [2], "effective_date": [s[20]], "ratio": [0.9]}),
        dividends=pd.DataFrame({"sid": [1, 2], "ex_date": [s[15], s[5]], "amount": [1.0, 0.5]}),
        minute={1: minute_frame(s[28], 5, 100.0), 2: minute_frame(s[29], 3, 50.0)},
    )
