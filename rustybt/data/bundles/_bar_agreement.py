"""Daily bars against the minute bars of the same asset: one summary of every disagreement.

Run at commit, where the writer has both frequencies on disk, one asset at a time (memory is
one asset's minute bars). For an asset with both, every session inside the overlap of the two
ranges is compared with the aggregate of its minutes (sessions by the calendar's closes):

- daily ``close`` must equal the last minute's close, ``volume`` the sum of the minutes'
  volumes;
- daily ``high``/``low`` must bracket the minutes (high ≥ every minute high, low ≤ every
  minute low; vendors' daily bars may include prints the minutes lack);
- a session with a daily bar but no minutes, or minutes but no daily bar, disagrees too.

Prices are compared exactly: the aggregates are selected values, not computed ones. The result
is a message for an IngestWarning (the data is kept: daily and minute readers each serve
their own bars), or None when everything agrees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from rustybt.data.bundles.format import DAILY_DIR, MINUTE_DIR, bar_file

__all__ = ["bar_disagreements"]

_SHOWN = 5
_FIELDS = ["high", "low", "close", "volume"]


def _daily(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    table = pq.read_table(path, columns=["date", *_FIELDS])
    frame = table.to_pandas(date_as_object=False)
    ns = pd.DatetimeIndex(frame["date"]).as_unit("ns").asi8
    return ns, {f: frame[f].to_numpy() for f in _FIELDS}


def _minute_sessions(
    path: Path, closes_ns: np.ndarray, sessions_ns: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(session ns, per-session high max, low min, last close, volume sum) of one asset."""
    table = pq.read_table(path, columns=["dt", *_FIELDS])
    ns = pd.DatetimeIndex(table.column("dt").to_numpy()).as_unit("ns").asi8
    pos = np.searchsorted(closes_ns, ns, side="left")
    starts = np.flatnonzero(np.r_[True, pos[1:] != pos[:-1]])
    ends = np.r_[starts[1:], len(ns)] - 1
    cols = {f: table.column(f).to_numpy() for f in _FIELDS}
    agg = {
        "high": np.maximum.reduceat(cols["high"], starts),
        "low": np.minimum.reduceat(cols["low"], starts),
        "close": cols["close"][ends],
        "volume": np.add.reduceat(cols["volume"], starts),
    }
    return sessions_ns[pos[starts]], agg


def _compare(
    d_ns: np.ndarray, d: dict[str, np.ndarray], m_ns: np.ndarray, m: dict[str, np.ndarray]
) -> list[tuple[int, str]]:
    """(session ns, what disagrees) for each disagreeing session inside the overlap."""
    lo, hi = max(d_ns[0], m_ns[0]), min(d_ns[-1], m_ns[-1])
    out: dict[int, list[str]] = {}
    _, di, mi = np.intersect1d(d_ns, m_ns, assume_unique=True, return_indices=True)
    checks = [
        (d["close"][di] != m["close"][mi], "close {} != last minute close {}", "close"),
        (d["volume"][di] != m["volume"][mi], "volume {} != minute volume {}", "volume"),
        (d["high"][di] < m["high"][mi], "high {} < minute high {}", "high"),
        (d["low"][di] > m["low"][mi], "low {} > minute low {}", "low"),
    ]
    for bad, text, field in checks:
        for k in np.flatnonzero(bad):
            day, mine = d[field][di[k]].item(), m[field][mi[k]].item()
            out.setdefault(int(d_ns[di[k]]), []).append(text.format(day, mine))
    for ns, other, text in ((d_ns, m_ns, "no minute bars"), (m_ns, d_ns, "no daily bar")):
        inside = ns[(ns >= lo) & (ns <= hi)]
        for s in np.setdiff1d(inside, other, assume_unique=True):
            out.setdefault(int(s), []).append(text)
    return [(s, ", ".join(why)) for s, why in sorted(out.items())]


def bar_disagreements(
    tmp_dir: Path, calendar: Any, sessions: dict[str, dict[int, np.ndarray]]
) -> str | None:
    """A summary of the (sid, session) pairs whose daily and minute bars disagree, or None."""
    both = sorted(set(sessions[DAILY_DIR]) & set(sessions[MINUTE_DIR]))
    if not both:
        return None
    closes_ns = pd.DatetimeIndex(calendar.closes).as_unit("ns").asi8
    sessions_ns = pd.DatetimeIndex(calendar.sessions).as_unit("ns").asi8
    found: list[tuple[int, int, str]] = []
    assets = 0
    for sid in both:
        d_ns, d = _daily(tmp_dir / bar_file(DAILY_DIR, sid))
        m_ns, m = _minute_sessions(tmp_dir / bar_file(MINUTE_DIR, sid), closes_ns, sessions_ns)
        pairs = _compare(d_ns, d, m_ns, m)
        assets += bool(pairs)
        found.extend((sid, s, why) for s, why in pairs)
    if not found:
        return None
    shown = "; ".join(
        f"sid {sid} {pd.Timestamp(s).date()} ({why})" for sid, s, why in found[:_SHOWN]
    )
    more = f"; … {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    return (
        f"daily and minute bars disagree on {len(found)} (sid, session) pair(s) of {assets} "
        f"asset(s); both are kept as given: {shown}{more}"
    )
