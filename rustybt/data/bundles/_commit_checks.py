"""Checks run at commit, across tables: lifetimes, halts, dividend ratios' previous closes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from rustybt.data.bundles._lenient import Unusual
from rustybt.data.bundles._validate import Warn
from rustybt.data.bundles.format import DAILY_DIR, MINUTE_DIR, bar_file
from rustybt.errors import IngestError

__all__ = ["check_lifetimes", "previous_closes"]

_SHOWN = 5


def _bar_range(sessions: dict[str, dict[int, np.ndarray]], sid: int) -> tuple[int, int] | None:
    spans = [(int(v[0]), int(v[-1])) for d in sessions.values() if (v := d.get(sid)) is not None]
    if not spans:
        return None
    return min(s[0] for s in spans), max(s[1] for s in spans)


def _check_known(
    assets: pd.DataFrame,
    sessions: dict[str, dict[int, np.ndarray]],
    labels: dict[tuple[str, int], str],
) -> None:
    known = set(assets["sid"].tolist())
    for freq, by_sid in sessions.items():
        unknown = sorted(set(by_sid) - known)
        if unknown:
            raise IngestError(
                f"{freq} bars for sid(s) missing from the asset table: {unknown[:20]}",
                file=labels[(freq, unknown[0])],
                column="sid",
                value=unknown[0],
            )


def _fill_dates(assets: pd.DataFrame, sessions: dict[str, dict[int, np.ndarray]]) -> pd.DataFrame:
    out = assets.copy()
    firsts, lasts = [], []
    for sid in out["sid"].tolist():
        rng = _bar_range(sessions, int(sid))
        firsts.append(pd.NaT if rng is None else pd.Timestamp(rng[0]))
        lasts.append(pd.NaT if rng is None else pd.Timestamp(rng[1]))
    first = pd.Series(pd.DatetimeIndex(firsts).as_unit("ns"), index=out.index)
    last = pd.Series(pd.DatetimeIndex(lasts).as_unit("ns"), index=out.index)
    out["start_date"] = out["start_date"].fillna(first)
    out["end_date"] = out["end_date"].fillna(last)
    out["first_traded"] = out["first_traded"].fillna(first)
    out["auto_close_date"] = out["auto_close_date"].fillna(out["end_date"] + np.timedelta64(1, "D"))
    return out


def _check_inside(
    sid: int,
    start: pd.Timestamp,
    end: pd.Timestamp,
    sessions: dict[str, dict[int, np.ndarray]],
    labels: dict[tuple[str, int], str],
    unusual: Unusual | None,
) -> None:
    for freq, by_sid in sessions.items():
        ns = by_sid.get(sid)
        if ns is None:
            continue
        bad = ((ns < start.value) if pd.notna(start) else False) | (
            (ns > end.value) if pd.notna(end) else False
        )
        if np.any(bad):
            day = pd.Timestamp(int(ns[np.flatnonzero(bad)[0]])).date()
            if unusual is not None:
                unusual.note(
                    "sessions with bars outside the asset's listing",
                    int(np.count_nonzero(bad)),
                    f"{labels[(freq, sid)]} on {day}, listing {_d(start)}..{_d(end)}",
                )
                continue
            raise IngestError(
                f"bar on session {day} is outside the listing of sid {sid} "
                f"({_d(start)}..{_d(end)} in the asset table)",
                file=labels[(freq, sid)],
                column="date" if freq == DAILY_DIR else "dt",
                value=str(day),
            )


def _d(ts: pd.Timestamp) -> str:
    return "open" if pd.isna(ts) else str(ts.date())


def check_lifetimes(
    assets: pd.DataFrame,
    sessions: dict[str, dict[int, np.ndarray]],
    labels: dict[tuple[str, int], str],
    calendar: Any,
    warn_halts: Warn,
    bundle_range: tuple[str | None, str | None] = (None, None),
    unusual: Unusual | None = None,
) -> pd.DataFrame:
    """Validate bars against the asset table and fill missing lifetime dates from the bars.

    Raises IngestError for bars of unknown sids and bars outside a listing (counted in
    ``unusual`` instead, for a lenient writer). Sessions inside a listing (clipped to the
    bundle's range) without any bar are halts: one message passed to ``warn_halts``
    summarises them.
    """
    _check_known(assets, sessions, labels)
    out = _fill_dates(assets, sessions)
    all_ns = pd.DatetimeIndex(calendar.sessions).as_unit("ns").asi8
    lo_b = pd.Timestamp(bundle_range[0]).value if bundle_range[0] else None
    hi_b = pd.Timestamp(bundle_range[1]).value if bundle_range[1] else None
    halted: list[tuple[int, int, int]] = []
    for sid, start, end in zip(out["sid"], out["start_date"], out["end_date"], strict=True):
        sid = int(sid)
        _check_inside(sid, start, end, sessions, labels, unusual)
        ns = sessions[DAILY_DIR].get(sid)
        if ns is None:
            ns = sessions[MINUTE_DIR].get(sid)
        if ns is None or pd.isna(start) or pd.isna(end):
            continue
        lo = max(start.value, lo_b) if lo_b is not None else start.value
        hi = min(end.value, hi_b) if hi_b is not None else end.value
        expected = all_ns[np.searchsorted(all_ns, lo) : np.searchsorted(all_ns, hi, "right")]
        ns = ns[(ns >= lo) & (ns <= hi)]  # bars outside the listing (lenient) are no halts
        if len(expected) > len(ns):
            missing = np.setdiff1d(expected, ns, assume_unique=True)
            halted.append((sid, len(missing), int(missing[0])))
    if halted:
        total = sum(h[1] for h in halted)
        shown = "; ".join(
            f"sid {s}: {n} from {pd.Timestamp(f).date()}" for s, n, f in halted[:_SHOWN]
        )
        more = f"; … {len(halted) - _SHOWN} more asset(s)" if len(halted) > _SHOWN else ""
        warn_halts(
            f"{total} session(s) without a bar inside the listings of {len(halted)} asset(s) "
            f"are halts (read as NaN prices, volume 0): {shown}{more}"
        )
    return out


def _closes_by_session(path: Path, minute: bool, closes_ns: np.ndarray) -> pd.Series:
    if not minute:
        table = pq.read_table(path, columns=["date", "close"]).to_pandas(date_as_object=False)
        idx = pd.DatetimeIndex(table["date"]).as_unit("ns")
        return pd.Series(table["close"].to_numpy(), index=idx.asi8)
    table = pq.read_table(path, columns=["dt", "close"])
    ns = pd.DatetimeIndex(table.column("dt").to_numpy()).as_unit("ns").asi8
    pos = np.searchsorted(closes_ns, ns, side="left")
    close = table.column("close").to_numpy()
    last = np.r_[pos[1:] != pos[:-1], True]
    return pd.Series(close[last], index=pos[last])


def previous_closes(
    dividends: pd.DataFrame,
    tmp_dir: Path,
    calendar: Any,
    sessions: dict[str, dict[int, np.ndarray]],
) -> np.ndarray:
    """Raw close of the session before each ex_date (NaN when that session has no bar).

    Uses the daily bars, or the last minute bar of the session for minute-only assets.
    """
    out = np.full(len(dividends), np.nan)
    if len(dividends) == 0:
        return out
    all_ns = pd.DatetimeIndex(calendar.sessions).as_unit("ns").asi8
    closes_ns = pd.DatetimeIndex(calendar.closes).as_unit("ns").asi8
    for sid, group in dividends.groupby("sid", sort=False):
        sid_i = int(sid)
        minute = sid_i not in sessions[DAILY_DIR]
        if minute and sid_i not in sessions[MINUTE_DIR]:
            continue
        folder = MINUTE_DIR if minute else DAILY_DIR
        closes = _closes_by_session(tmp_dir / bar_file(folder, sid_i), minute, closes_ns)
        ex = pd.DatetimeIndex(group["ex_date"]).as_unit("ns").asi8
        pos = np.searchsorted(all_ns, ex) - 1
        ok = pos >= 0
        keys = np.where(ok, pos, 0) if minute else all_ns[np.where(ok, pos, 0)]
        vals = closes.reindex(keys).to_numpy(dtype=np.float64)
        out[group.index.to_numpy()] = np.where(ok, vals, np.nan)
    return out
