"""Helpers of the SQL tests: tiny real bundles, Hypothesis bundle specs and a pandas oracle."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from rustybt import Bundle, BundleWriter, IngestWarning
from rustybt.calendars import get_calendar

CAL = get_calendar("XNYS", start="2021-01-01", end="2021-12-31")
SESSIONS = CAL.sessions_in_range("2021-01-04", "2021-12-31")
BAR_FIELDS = ["open", "high", "low", "close", "volume"]


def bars_frame(dates: Any, close: np.ndarray, volume: np.ndarray) -> pd.DataFrame:
    """OHLCV frame with open/high/low derived from close."""
    close = np.asarray(close, dtype=float)
    return pd.DataFrame(
        {
            "date": pd.DatetimeIndex(dates),
            "open": close * 0.99,
            "high": close * 1.02,
            "low": close * 0.97,
            "close": close,
            "volume": np.asarray(volume, dtype=np.int64),
        }
    )


def write_bundle(
    root: Path,
    daily: dict[int, pd.DataFrame],
    *,
    splits: pd.DataFrame | None = None,
    mergers: pd.DataFrame | None = None,
    dividends: pd.DataFrame | None = None,
    minute: dict[int, pd.DataFrame] | None = None,
    name: str = "t",
) -> Bundle:
    """Write one bundle version under ``root`` and return it loaded.

    Halts and dividends without a usable close are what these bundles test, so the
    ``IngestWarning``s they raise are silenced here.
    """
    sids = sorted(set(daily) | set(minute or {}))
    starts = []
    for sid in sids:
        frame = daily.get(sid)
        first = SESSIONS[0] if frame is None or frame.empty else frame["date"].iloc[0]
        starts.append(pd.Timestamp(first))
    assets = pd.DataFrame(
        {
            "sid": sids,
            "symbol": [f"S{s}" for s in sids],
            "asset_name": [f"Asset {s}" for s in sids],
            "exchange": "XNYS",
            "start_date": starts,
            "end_date": SESSIONS[-1],
        }
    )
    writer = BundleWriter(root / "bundles" / name, name=name)
    with warnings.catch_warnings(), writer:
        warnings.simplefilter("ignore", IngestWarning)
        writer.write_assets(assets)
        for sid, frame in daily.items():
            writer.write_daily_bars(sid, frame)
        for sid, frame in (minute or {}).items():
            writer.write_minute_bars(sid, frame)
        writer.write_adjustments(splits=splits, mergers=mergers, dividends=dividends)
    return Bundle(writer.version_dir, name=name)


def minute_frame(session: pd.Timestamp, n: int, start_price: float) -> pd.DataFrame:
    """The first ``n`` right-labelled minutes of a session."""
    minutes = CAL.session_minutes(session)[:n]
    close = start_price + np.arange(n) * 0.01
    return pd.DataFrame(
        {
            "dt": minutes,
            "open": close,
            "high": close + 0.05,
            "low": close - 0.05,
            "close": close,
            "volume": np.arange(1, n + 1) * 10,
        }
    )


# ---------------------------------------------------------------------------- generation
@st.composite
def bundle_specs(draw: Any) -> dict[str, Any]:
    """Assets with random lifetimes and halts, splits, mergers and dividends."""
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
        daily[sid] = bars_frame(SESSIONS[idx], np.array(closes), np.array(vols))
    sids = st.sampled_from(sorted(daily))
    ratio_rows = st.tuples(sids, st.integers(0, 40), st.floats(0.1, 5.0))
    splits = draw(st.lists(ratio_rows, max_size=4))
    mergers = draw(st.lists(ratio_rows, max_size=2))
    divs = []
    for sid, pick, amount in draw(
        st.lists(st.tuples(sids, st.integers(0, 100), st.floats(0.0, 600.0)), max_size=4)
    ):
        dates = daily[sid]["date"]
        ex = dates.iloc[pick % len(dates)]
        if (sid, ex) not in {(d[0], d[1]) for d in divs}:
            divs.append((sid, ex, amount))
    return {"daily": daily, "splits": splits, "mergers": mergers, "dividends": divs}


def _ratio_frame(rows: list[tuple[int, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sid": [r[0] for r in rows],
            "effective_date": [SESSIONS[r[1]] for r in rows],
            "ratio": [r[2] for r in rows],
        }
    )


def write_spec(root: Path, spec: dict[str, Any]) -> Bundle:
    """Ingest a generated spec."""
    divs = spec["dividends"]
    return write_bundle(
        root,
        spec["daily"],
        splits=_ratio_frame(spec["splits"]),
        mergers=_ratio_frame(spec["mergers"]),
        dividends=pd.DataFrame(
            {
                "sid": [d[0] for d in divs],
                "ex_date": [d[1] for d in divs],
                "amount": [d[2] for d in divs],
            }
        ),
    )


# ---------------------------------------------------------------------------- oracle
def price_adjustments(spec: dict[str, Any]) -> list[tuple[int, pd.Timestamp, float, bool]]:
    """(sid, effective date, ratio, is_split) of every usable adjustment, zipline's rules."""
    out = [(s, SESSIONS[i], r, True) for s, i, r in spec["splits"]]
    out += [(s, SESSIONS[i], r, False) for s, i, r in spec["mergers"]]
    for sid, ex, amount in spec["dividends"]:
        frame = spec["daily"][sid].set_index("date")
        pos = SESSIONS.get_loc(ex)
        prev = SESSIONS[pos - 1] if pos > 0 else None
        prev_close = frame["close"].get(prev, np.nan) if prev is not None else np.nan
        ratio = 1.0 - amount / prev_close
        if np.isfinite(ratio) and ratio > 0:
            out.append((sid, ex, ratio, False))
    return out


def factors(
    adjs: list[tuple[int, pd.Timestamp, float, bool]], sid: int, t: pd.Timestamp, p: pd.Timestamp
) -> tuple[float, float]:
    """Price and volume factor of a bar dated t as seen from p: ratios with t < E ≤ p."""
    pf = vf = 1.0
    for s, eff, ratio, is_split in adjs:
        if s == sid and t < eff <= p:
            pf *= ratio
            if is_split:
                vf *= ratio
    return pf, vf


def oracle_bars(spec: dict[str, Any], adjusted: bool) -> pd.DataFrame:
    """Every bar, raw or adjusted as of the last session, sorted by (sid, date)."""
    last = max(f["date"].iloc[-1] for f in spec["daily"].values())
    adjs = price_adjustments(spec)
    frames = []
    for sid, frame in spec["daily"].items():
        out = frame.copy()
        out.insert(0, "sid", sid)
        if adjusted:
            fac = [factors(adjs, sid, t, last) for t in out["date"]]
            pf = np.array([f[0] for f in fac])
            vf = np.array([f[1] for f in fac])
            for col in ("open", "high", "low", "close"):
                out[col] = out[col] * pf
            out["volume"] = out["volume"] / vf
        frames.append(out)
    return pd.concat(frames).sort_values(["sid", "date"]).reset_index(drop=True)


def assert_frames_close(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same sids and dates; numbers equal to 1e-12 relative."""
    assert got["sid"].tolist() == want["sid"].tolist()
    assert pd.DatetimeIndex(got["date"]).equals(pd.DatetimeIndex(want["date"]))
    for col in BAR_FIELDS:
        np.testing.assert_allclose(
            got[col].to_numpy(float), want[col].to_numpy(float), rtol=1e-12, err_msg=col
        )
