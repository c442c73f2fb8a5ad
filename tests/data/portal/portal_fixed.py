"""A small hand-made bundle whose every value is known, for named edge-case tests.

Sessions: 30 XNYS sessions from 2024-06-24 (early close 07-03, holiday 07-04).
- sid 0 "SPLIT": bars every session except halts at sessions 5, 6 and 15; close = 100 + i;
  a 2:1 split (ratio 0.5) effective at session 10; a 1.00 dividend at session 20.
- sid 1 "LATE": listed at session 8, delisted after session 25; close = 50 + i; a merger
  (ratio 0.9) at session 12.
- sid 2 "PLAIN": every session, close = 10 + i, no adjustments.
- sid 3 "NOBARS": listed, never traded.
Volume = 1000 + i everywhere there is a bar.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from portal_data import Spec, sessions, write_bundle

N = 30
SPLIT_AT = 10
DIV_AT = 20
MERGER_AT = 12
HALTS = (5, 6, 15)


def fixed_spec(minute: bool = False) -> Spec:
    sess = sessions(N)
    spec = Spec(sessions=sess, assets=pd.DataFrame())

    def bars(idx: list[int], base: float) -> pd.DataFrame:
        i = np.asarray(idx, dtype=float)
        close = base + i
        return pd.DataFrame({
            "date": sess[idx], "open": close - 0.5, "high": close + 1.0, "low": close - 1.0,
            "close": close, "volume": (1000 + i).astype(np.int64),
        })

    spec.daily = {
        0: bars([i for i in range(N) if i not in HALTS], 100.0),
        1: bars(list(range(8, 26)), 50.0),
        2: bars(list(range(N)), 10.0),
    }
    rows = []
    for sid, sym, start, end in ((0, "SPLIT", 0, N - 1), (1, "LATE", 8, 25),
                                 (2, "PLAIN", 0, N - 1), (3, "NOBARS", 0, N - 1)):
        rows.append({"sid": sid, "symbol": sym, "asset_name": sym, "exchange": "TEST",
                     "start_date": sess[start], "end_date": sess[end],
                     "first_traded": sess[start], "auto_close_date": sess[end]})
    spec.assets = pd.DataFrame(rows)
    spec.splits = pd.DataFrame({"sid": [0], "effective_date": [sess[SPLIT_AT]], "ratio": [0.5]})
    spec.mergers = pd.DataFrame({"sid": [1], "effective_date": [sess[MERGER_AT]],
                                 "ratio": [0.9]})
    d = sess[DIV_AT]
    spec.dividends = pd.DataFrame({"sid": [0], "ex_date": [d], "record_date": [d],
                                   "declared_date": [d], "pay_date": [d], "amount": [1.0]})
    spec.stock_dividends = pd.DataFrame({
        "sid": [2], "ex_date": [sess[15]], "record_date": [sess[15]],
        "declared_date": [sess[14]], "pay_date": [sess[18]], "payment_sid": [0],
        "ratio": [0.1]})
    return spec


def fixed_bundle(root: Path) -> tuple[Spec, object]:
    spec = fixed_spec()
    return spec, write_bundle(spec, root, name="fixed")
