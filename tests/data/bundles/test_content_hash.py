"""The content hash (bundle version) is stable on re-ingest and changes with any value."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rustybt import BundleWriter, ingest, register, unregister
from rustybt.calendars import get_calendar
from rustybt.data.bundles.sources import dataframe_ingest, synthetic_ingest

SESSIONS = get_calendar("XNYS", start="2024-01-02", end="2024-02-15").sessions_in_range(
    "2024-01-02", "2024-02-15"
)[:20]
_names = itertools.count()


def _base() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(5)
    rows = []
    for sym in ("AAA", "BBB"):
        close = np.round(50 + np.cumsum(rng.normal(0, 1, len(SESSIONS))), 2)
        rows.append(
            pd.DataFrame(
                {
                    "symbol": sym,
                    "date": SESSIONS,
                    "open": close,
                    "high": close + 1.0,
                    "low": close - 1.0,
                    "close": close,
                    "volume": rng.integers(1, 10**6, len(SESSIONS)),
                }
            )
        )
    daily = pd.concat(rows, ignore_index=True)
    splits = pd.DataFrame({"symbol": ["AAA"], "effective_date": [SESSIONS[5]], "ratio": [0.5]})
    dividends = pd.DataFrame({"symbol": ["BBB"], "ex_date": [SESSIONS[7]], "amount": [0.25]})
    assets = pd.DataFrame(
        {
            "sid": [0, 1],
            "symbol": ["AAA", "BBB"],
            "asset_name": ["A Corp", "B Corp"],
            "exchange": ["X", "Y"],
        }
    )
    return {"daily": daily, "splits": splits, "dividends": dividends, "assets": assets}


def _version(frames: dict[str, pd.DataFrame], root: Path) -> str:
    name = f"h{next(_names)}"
    register(name, dataframe_ingest(**frames))
    try:
        return ingest(name, root=root).version
    finally:
        unregister(name)


def test_same_input_same_version_in_a_new_directory(root):
    a = _version(_base(), root)
    b = _version(_base(), root)
    assert a == b


def test_synthetic_reingest_is_stable(ingest_source):
    first = ingest_source(synthetic_ingest(3, 0.2, seed=1), name="syn")
    second = ingest_source(synthetic_ingest(3, 0.2, seed=1), name="syn")
    assert first.version == second.version and first.path == second.path  # reused, no copy
    third = ingest_source(synthetic_ingest(3, 0.2, seed=2), name="syn")
    assert third.version != first.version


_CHANGES = st.one_of(
    st.tuples(
        st.just("daily"),
        st.integers(0, 2 * len(SESSIONS) - 1),
        st.sampled_from(["open", "high", "low", "close", "volume"]),
    ),
    st.tuples(st.just("splits"), st.just(0), st.just("ratio")),
    st.tuples(st.just("dividends"), st.just(0), st.just("amount")),
    st.tuples(st.just("assets"), st.integers(0, 1), st.sampled_from(["asset_name", "exchange"])),
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(change=_CHANGES, bump=st.sampled_from([-1, 1]))
def test_any_changed_value_changes_the_version(root, change, bump):
    _check_change_changes_version(root, change, bump)


def _check_change_changes_version(root, change, bump):
    frame_name, row, column = change
    base = _base()
    original = _version(base, root)
    frames = _base()
    frame = frames[frame_name]
    # keep the bar valid: move all four prices together, or the volume alone
    if frame_name == "daily" and column != "volume":
        for col in ("open", "high", "low", "close"):
            frame.loc[row, col] = frame.loc[row, col] + 0.01 * bump
    elif frame_name == "assets":
        frame.loc[row, column] = frame.loc[row, column] + ("X" if bump > 0 else "Y")
    elif column == "volume":
        frame.loc[row, column] = frame.loc[row, column] + bump
    else:
        frame.loc[row, column] = frame.loc[row, column] * (1.0 + 0.01 * bump)
    assert _version(frames, root) != original


def test_calendar_and_session_range_are_part_of_the_version(tmp_path):
    def write(**kw):
        with BundleWriter(tmp_path / "b", name="b", **kw) as w:
            w.write_assets(pd.DataFrame({"sid": [0], "symbol": ["A"]}))
            w.write_daily_bars(
                0,
                pd.DataFrame(
                    {
                        "date": SESSIONS[:3],
                        "open": 1.0,
                        "high": 1.0,
                        "low": 1.0,
                        "close": 1.0,
                        "volume": 1,
                    }
                ),
            )
        assert w.manifest is not None
        return w.manifest.version

    assert write() != write(end_session=SESSIONS[10])


@st.composite
def _bars(draw):
    n_syms = draw(st.integers(1, 3))
    frames = []
    for k in range(n_syms):
        mask = draw(st.lists(st.booleans(), min_size=len(SESSIONS), max_size=len(SESSIONS)))
        dates = SESSIONS[np.array(mask, dtype=bool)]
        if len(dates) == 0:
            dates = SESSIONS[:1]
        n = len(dates)
        floats = st.floats(0.0001, 1e6, allow_nan=False, allow_infinity=False)
        o = np.array(draw(st.lists(floats, min_size=n, max_size=n)))
        c = np.array(draw(st.lists(floats, min_size=n, max_size=n)))
        up = np.array(draw(st.lists(st.floats(0, 10), min_size=n, max_size=n)))
        down = np.array(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
        vol = draw(st.lists(st.integers(0, 2**63 - 1), min_size=n, max_size=n))
        hi = np.maximum(o, c) + up
        lo = np.minimum(o, c) * (1 - down * 0.99)
        frames.append(
            pd.DataFrame(
                {
                    "symbol": f"S{k}",
                    "date": dates,
                    "open": o,
                    "high": hi,
                    "low": lo,
                    "close": c,
                    "volume": np.array(vol, np.int64),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.mark.filterwarnings("ignore::rustybt.errors.IngestWarning")
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(daily=_bars())
def test_round_trip_of_arbitrary_valid_bars_is_exact(root, daily):
    name = f"rt{next(_names)}"
    register(name, dataframe_ingest(daily))
    try:
        bundle = ingest(name, root=root)
    finally:
        unregister(name)
    symbols = sorted(daily["symbol"].unique())
    for sid, sym in enumerate(symbols):
        want = daily[daily["symbol"] == sym].drop(columns="symbol").reset_index(drop=True)
        want["date"] = want["date"].astype("datetime64[ns]")
        pd.testing.assert_frame_equal(bundle.read_daily(sid), want, check_exact=True)


@pytest.mark.slow
@settings(
    max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(change=_CHANGES, bump=st.sampled_from([-1, 1]))
def test_any_changed_value_changes_the_version_long(root, change, bump):
    _check_change_changes_version(root, change, bump)
