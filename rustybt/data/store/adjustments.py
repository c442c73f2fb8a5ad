"""Corporate-action adjustments: zipline's perspective rule as cumulative factors.

A ratio with effective date ``E`` applies to rows dated before ``E`` when ``E`` is on or before
the perspective (the window end). With ``F[t]`` = product of the ratios effective after
session ``t``, the value of row ``t`` seen from perspective ``P`` is ``raw[t] * F[t] / F[P]``,
so an adjusted window is one vectorised multiply. The factors are precomputed per asset when
the store is built (columns ``price_factor``/``volume_factor`` of the daily store), together
with running counts of adjustments (``*_adj_count``) that tell in two lookups whether a window
needs adjusting at all.

Prices take splits, mergers and dividends (``dividends.ratio``, fixed at ingest; NaN ratios
are ignored like zipline); volume takes split ratios only, inverted.

For ``zipline_exact`` mode :func:`apply_exact` multiplies the ratios one by one in zipline's
order (by effective date; mergers, dividends, then splits) so floating-point results match
zipline's bit for bit before its 3-decimal rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rustybt.data.bundles.protocol import BundleLike

__all__ = [
    "AdjustmentEvents",
    "SidEvents",
    "apply_exact",
    "build_factors",
    "load_events",
    "ratio_between",
]

_KIND_ORDER = {"mergers": 0, "dividends": 1, "splits": 2}


@dataclass
class SidEvents:
    """One asset's adjustments, sorted by (session index, zipline kind order).

    Attributes:
        index: Session index of each effective date (first session on or after it).
        date_ns: Effective date as naive-midnight nanoseconds.
        kind: 0 merger, 1 dividend, 2 split.
        ratio: The price ratio.
    """

    index: np.ndarray
    date_ns: np.ndarray
    kind: np.ndarray
    ratio: np.ndarray
    _triples: list[tuple[int, int, float]] | None = field(default=None, init=False, repr=False,
                                                          compare=False)

    def triples(self) -> list[tuple[int, int, float]]:
        """``(index, kind, ratio)`` of each event as Python scalars, in order (built once)."""
        if self._triples is None:
            self._triples = list(zip(self.index.tolist(), self.kind.tolist(),
                                     self.ratio.tolist(), strict=True))
        return self._triples

    def volume_mask(self) -> np.ndarray:
        """Which events apply to volume (splits)."""
        return np.asarray(self.kind == 2)


@dataclass
class AdjustmentEvents:
    """All assets' adjustments plus the split calendar used by ``get_splits``."""

    by_sid: dict[int, SidEvents] = field(default_factory=dict)
    splits_on: dict[int, list[tuple[int, float]]] = field(default_factory=dict)


def _ns(values: Any) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[ns]").astype(np.int64)


def load_events(bundle: BundleLike, sessions_ns: np.ndarray) -> AdjustmentEvents:
    """Read the bundle's splits, mergers and dividends into per-sid sorted event arrays.

    Effective dates outside the bundle's sessions are dropped: they cannot adjust any row
    (nothing before the first session, no perspective after the last).
    """
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    out = AdjustmentEvents()
    for kind, frame, date_col in (
        ("splits", bundle.read_splits(), "effective_date"),
        ("mergers", bundle.read_mergers(), "effective_date"),
        ("dividends", bundle.read_dividends(), "ex_date"),
    ):
        if len(frame) == 0:
            continue
        sids = frame["sid"].to_numpy(np.int64)
        dates = _ns(frame[date_col].to_numpy())
        ratio = frame["ratio"].to_numpy(np.float64)
        if kind == "splits":
            for s, d, r in zip(sids.tolist(), dates.tolist(), ratio.tolist(), strict=True):
                out.splits_on.setdefault(int(d), []).append((int(s), float(r)))
        ok = np.isfinite(ratio)
        parts.append(
            (sids[ok], dates[ok], np.full(int(ok.sum()), _KIND_ORDER[kind], np.int64), ratio[ok])
        )
    if not parts or len(sessions_ns) == 0:
        return out
    sids = np.concatenate([p[0] for p in parts])
    dates = np.concatenate([p[1] for p in parts])
    kinds = np.concatenate([p[2] for p in parts])
    ratios = np.concatenate([p[3] for p in parts])
    index = np.searchsorted(sessions_ns, dates, side="left")
    keep = (dates > sessions_ns[0]) & (index < len(sessions_ns))
    sids, dates, kinds, ratios, index = (a[keep] for a in (sids, dates, kinds, ratios, index))
    order = np.lexsort((kinds, index, sids))
    sids, dates, kinds, ratios, index = (a[order] for a in (sids, dates, kinds, ratios, index))
    bounds = np.flatnonzero(np.diff(sids)) + 1
    for chunk in np.split(np.arange(len(sids)), bounds):
        if len(chunk) == 0:
            continue
        out.by_sid[int(sids[chunk[0]])] = SidEvents(
            index=index[chunk], date_ns=dates[chunk], kind=kinds[chunk], ratio=ratios[chunk]
        )
    return out


def build_factors(
    events: AdjustmentEvents, sids: np.ndarray, length: int
) -> dict[str, np.ndarray]:
    """Cumulative factor and count columns, asset-major (``len(sids) * length``)."""
    n = len(sids)
    pf = np.ones((n, length))
    vf = np.ones((n, length))
    pc = np.zeros((n, length))
    vc = np.zeros((n, length))
    for row, sid in enumerate(sids.tolist()):
        ev = events.by_sid.get(int(sid))
        if ev is None:
            continue
        for idx, kind, ratio in zip(ev.index.tolist(), ev.kind.tolist(), ev.ratio.tolist(),
                                    strict=True):
            pf[row, :idx] *= ratio
            pc[row, idx:] += 1.0
            if kind == 2:
                vf[row, :idx] *= 1.0 / ratio
                vc[row, idx:] += 1.0
    return {
        "price_factor": pf.reshape(-1),
        "volume_factor": vf.reshape(-1),
        "price_adj_count": pc.reshape(-1),
        "volume_adj_count": vc.reshape(-1),
    }


def ratio_between(ev: SidEvents | None, after_ns: int, upto_ns: int, volume: bool) -> float:
    """zipline's ``get_adjustments`` for one asset: product of ratios with after < E ≤ upto.

    Multiplies in zipline's order (splits, then mergers, then dividends, each by date).
    """
    if ev is None:
        return 1.0
    sel = (ev.date_ns > after_ns) & (ev.date_ns <= upto_ns)
    if not sel.any():
        return 1.0
    ratio = 1.0
    kinds = ev.kind[sel].tolist()
    ratios = ev.ratio[sel].tolist()
    for wanted in (2, 0, 1):
        if volume and wanted != 2:
            continue
        for k, r in zip(kinds, ratios, strict=True):
            if k == wanted:
                ratio *= (1.0 / r) if volume else r
    return ratio


def apply_exact(
    out: np.ndarray, row_sessions: np.ndarray, perspective: int, ev: SidEvents | None,
    volume: bool,
) -> None:
    """Multiply ``out`` in place, one ratio at a time, like zipline's adjusted windows.

    ``row_sessions`` holds the (sorted) session index of each row of ``out``. Each event
    effective at session index ``E`` with ``row_sessions[0] < E <= perspective`` multiplies
    the rows dated before ``E``.
    """
    if ev is None or len(row_sessions) == 0:
        return
    first = int(row_sessions[0])
    for idx, kind, ratio in ev.triples():  # sorted by index
        if idx <= first:
            continue
        if idx > perspective:
            break
        if volume:
            if kind != 2:
                continue
            ratio = 1.0 / ratio
        out[: int(np.searchsorted(row_sessions, idx, side="left"))] *= ratio
