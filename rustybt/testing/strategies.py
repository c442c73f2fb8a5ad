"""Hypothesis strategies for :class:`BundleSpec` (needs ``hypothesis``, a dev dependency).

Import this module (or ``rustybt.testing.bundle_specs``) only where Hypothesis is installed;
nothing else in :mod:`rustybt.testing` imports it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from rustybt.calendars import get_calendar
from rustybt.testing.bars import bars_from_close
from rustybt.testing.spec import BundleSpec

__all__ = ["SPEC_SESSIONS", "bundle_specs"]

#: The sessions :func:`bundle_specs` draws from (XNYS, 2021).
SPEC_SESSIONS = get_calendar("XNYS", start="2021-01-01", end="2021-12-31").sessions_in_range(
    "2021-01-04", "2021-12-31"
)


def _ratio_frame(rows: list[tuple[int, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sid": [r[0] for r in rows],
            "effective_date": [SPEC_SESSIONS[r[1]] for r in rows],
            "ratio": [r[2] for r in rows],
        }
    )


@st.composite
def bundle_specs(draw: Any) -> BundleSpec:
    """Daily specs: 1–3 assets (sids 1..3) with random lifetimes and halts, splits, mergers
    and cash dividends (some too large for a positive ratio) over :data:`SPEC_SESSIONS`.

    Splits and mergers may fall anywhere in the first 41 sessions, also outside an asset's
    bars; dividends fall on sessions the asset trades. Every asset's end_date is the last
    session of 2021 (after the bundle's range, which the bars define).
    """
    n_assets = draw(st.integers(1, 3))
    daily = {}
    for sid in range(1, n_assets + 1):
        start = draw(st.integers(0, 10))
        length = draw(st.integers(2, 25))
        idx = np.arange(start, start + length)
        keep = draw(st.lists(st.booleans(), min_size=length, max_size=length))
        keep[0] = keep[-1] = True
        idx = idx[np.array(keep)]
        closes = draw(st.lists(st.floats(1.0, 500.0), min_size=len(idx), max_size=len(idx)))
        vols = draw(st.lists(st.integers(0, 10**6), min_size=len(idx), max_size=len(idx)))
        daily[sid] = bars_from_close(SPEC_SESSIONS[idx], np.array(closes), np.array(vols))
    sids = st.sampled_from(sorted(daily))
    ratio_rows = st.tuples(sids, st.integers(0, 40), st.floats(0.1, 5.0))
    splits = draw(st.lists(ratio_rows, max_size=4))
    mergers = draw(st.lists(ratio_rows, max_size=2))
    divs: list[tuple[int, pd.Timestamp, float]] = []
    for sid, pick, amount in draw(
        st.lists(st.tuples(sids, st.integers(0, 100), st.floats(0.0, 600.0)), max_size=4)
    ):
        dates = daily[sid]["date"]
        ex = dates.iloc[pick % len(dates)]
        if (sid, ex) not in {(d[0], d[1]) for d in divs}:
            divs.append((sid, ex, amount))
    return BundleSpec.from_bars(
        daily,
        end_date=SPEC_SESSIONS[-1],
        splits=_ratio_frame(splits),
        mergers=_ratio_frame(mergers),
        dividends=pd.DataFrame(
            {
                "sid": [d[0] for d in divs],
                "ex_date": [d[1] for d in divs],
                "amount": [d[2] for d in divs],
            }
        ),
    )
