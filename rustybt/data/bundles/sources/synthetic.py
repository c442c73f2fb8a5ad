"""A deterministic synthetic source: N assets × Y years of daily (and minute) bars.

The same arguments always give the same bytes. Asset ``i`` (sid ``i``) is generated from
``numpy.random.default_rng([seed, i])``, so it does not depend on how many assets are asked for.
The hard cases are built in by sid (for any ``n_assets ≥ 4`` each appears):

==========  ===========================================================================
sid % 4     hard cases
==========  ===========================================================================
0           a split (2:1, ratio 0.5; 1:2 reverse split, ratio 2.0, when sid % 8 == 4),
            quarterly cash dividends
1           late listing (starts 20–50 % into the range), quarterly cash dividends
2           early delisting (ends 60–85 % into the range), halts (1 + 2 missing sessions)
3           halts; a 3:1 split (ratio 1/3); a symbol change (old symbol ``X…``) when
            sid % 8 == 7
==========  ===========================================================================

Minute assets additionally miss ~2 % of their minutes when sid % 5 == 4 (thin trading), and
follow the calendar's minutes, so early-close days have fewer bars. Their daily bars are the
aggregates of their minute bars. Raw prices are rounded to cents and stay in about [1, 1700],
far below zipline's uint32(price × 1000) limit; volumes are integers < 2³¹.

Arguments are checked first (:mod:`._synthetic_args`): a value out of range is one
:class:`~rustybt.errors.InvalidSourceOption` naming it. An ``end_session`` that is not a session
(weekend, holiday) ends the data at the last session before it.

Ingest streams one asset at a time (generate, validate, write, forget), so peak memory is
about one asset's bars plus the adjustment tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rustybt._progress import Progress
from rustybt.data.bundles.sources._synthetic_args import MAX_YEARS, check_synthetic_args
from rustybt.data.bundles.sources._synthetic_assets import (
    DEFAULT_END_SESSION,
    SyntheticAsset,
    asset_rows,
    generate,
    session_grid,
)
from rustybt.data.bundles.sources._synthetic_plan import plan_asset
from rustybt.data.bundles.writer import BundleWriter
from rustybt.errors import IngestError

__all__ = [
    "DEFAULT_END_SESSION",
    "MAX_YEARS",
    "SyntheticAsset",
    "SyntheticData",
    "SyntheticIngest",
    "iter_synthetic",
    "synthetic_frames",
    "synthetic_ingest",
]


def _minute_sids(n_assets: int, minute: bool, minute_assets: int | None) -> int:
    if not minute:
        return 0
    return n_assets if minute_assets is None else minute_assets


def iter_synthetic(
    n_assets: int,
    years: float,
    *,
    minute: bool = False,
    minute_assets: int | None = None,
    seed: int = 0,
    end_session: object = None,
    calendar_name: str = "XNYS",
) -> Iterator[SyntheticAsset]:
    """Yield the synthetic assets one at a time (see :func:`synthetic_ingest` for arguments)."""
    p = check_synthetic_args(
        n_assets,
        years,
        minute=minute,
        minute_assets=minute_assets,
        seed=seed,
        end_session=end_session,
        calendar_name=calendar_name,
    )
    n_minute = _minute_sids(p["n_assets"], p["minute"], p["minute_assets"])
    _, grid = session_grid(p["calendar_name"], p["years"], p["end_session"], n_minute > 0)
    return (generate(sid, p["seed"], grid, sid < n_minute) for sid in range(p["n_assets"]))


@dataclass
class SyntheticData:
    """All frames of a synthetic bundle, as the ingest writes them (for tests)."""

    assets: pd.DataFrame
    symbol_history: pd.DataFrame
    daily: dict[int, pd.DataFrame]
    minute: dict[int, pd.DataFrame]
    splits: pd.DataFrame
    dividends: pd.DataFrame
    sessions: pd.DatetimeIndex


def _adjustment_frames(
    splits: list[dict[str, Any]], dividends: list[dict[str, Any]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    split_cols = ["sid", "effective_date", "ratio"]
    div_cols = ["sid", "ex_date", "record_date", "declared_date", "pay_date", "amount"]
    s = pd.DataFrame(splits, columns=split_cols)
    d = pd.DataFrame(dividends, columns=div_cols)
    return s.astype({"sid": "int64", "ratio": "float64"}), d.astype(
        {"sid": "int64", "amount": "float64"}
    )


def synthetic_frames(
    n_assets: int,
    years: float,
    *,
    minute: bool = False,
    minute_assets: int | None = None,
    seed: int = 0,
    end_session: object = None,
    calendar_name: str = "XNYS",
) -> SyntheticData:
    """Generate everything in memory (keep it small); same content as :func:`synthetic_ingest`."""
    rows, spans, daily, minute_bars = [], [], {}, {}
    splits: list[dict[str, Any]] = []
    dividends: list[dict[str, Any]] = []
    assets = iter_synthetic(
        n_assets,
        years,
        minute=minute,
        minute_assets=minute_assets,
        seed=seed,
        end_session=end_session,
        calendar_name=calendar_name,
    )  # checks the arguments
    sessions = session_grid(calendar_name, float(years), end_session, False)[1].sessions
    for a in assets:
        rows.append(a.asset_row)
        spans.extend(a.symbol_spans)
        daily[a.sid] = a.daily
        if a.minute is not None:
            minute_bars[a.sid] = a.minute
        splits.extend(a.splits)
        dividends.extend(a.dividends)
    s, d = _adjustment_frames(splits, dividends)
    return SyntheticData(
        assets=pd.DataFrame(rows),
        symbol_history=pd.DataFrame(spans),
        daily=daily,
        minute=minute_bars,
        splits=s,
        dividends=d,
        sessions=sessions,
    )


class SyntheticIngest:
    """The ingest function returned by :func:`synthetic_ingest` (callable with a writer).

    Attributes ``calendar_name``, ``start_session`` and ``end_session`` tell
    :func:`rustybt.data.bundles.register` how to register it (``register_synthetic`` does).
    """

    def __init__(self, **params: Any) -> None:
        self.params = params
        self.calendar_name: str = params["calendar_name"]
        sessions = session_grid(self.calendar_name, params["years"], params["end_session"], False)[
            1
        ]
        self.start_session: pd.Timestamp = sessions.sessions[0]
        self.end_session: pd.Timestamp = sessions.sessions[-1]

    def describe(self) -> str:
        """The call that made this function (recorded in the manifest)."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"synthetic_ingest({args})"

    __repr__ = describe

    def __call__(self, writer: BundleWriter) -> None:
        """Stream every asset into ``writer`` (assets table first, adjustments last)."""
        if writer.calendar_name != self.calendar_name:
            raise IngestError(
                f"synthetic data was generated on {self.calendar_name} but the bundle is "
                f"registered with calendar {writer.calendar_name!r}",
                file="synthetic",
            )
        writer.warn_halts = False  # halts are part of the design, not a repair
        p = self.params
        _, grid = session_grid(self.calendar_name, p["years"], p["end_session"], False)
        rows, spans = [], []
        for sid in range(p["n_assets"]):
            plan = plan_asset(sid, len(grid.sessions), np.random.default_rng([p["seed"], sid]))
            _, row, sp = asset_rows(sid, plan, grid.sessions)
            rows.append(row)
            spans.extend(sp)
        writer.write_assets(pd.DataFrame(rows), pd.DataFrame(spans))
        splits: list[dict[str, Any]] = []
        dividends: list[dict[str, Any]] = []
        label = "synthetic" + (" (minute)" if p["minute"] else "")
        with Progress(p["n_assets"], label, enabled=writer.show_progress, unit="asset") as bar:
            for a in iter_synthetic(**p):
                writer.write_daily_bars(a.sid, a.daily, label=f"synthetic daily sid {a.sid}")
                if a.minute is not None:
                    writer.write_minute_bars(a.sid, a.minute, label=f"synthetic minute sid {a.sid}")
                splits.extend(a.splits)
                dividends.extend(a.dividends)
                bar.update()
        s, d = _adjustment_frames(splits, dividends)
        writer.write_adjustments(splits=s, dividends=d)


def synthetic_ingest(
    n_assets: int,
    years: float,
    *,
    minute: bool = False,
    minute_assets: int | None = None,
    seed: int = 0,
    end_session: object = None,
    calendar_name: str = "XNYS",
) -> SyntheticIngest:
    """Return an ingest function that writes a deterministic synthetic bundle.

    Args:
        n_assets: Number of assets (sids ``0 .. n_assets-1``).
        years: Length of the session range, ending at ``end_session`` (more than 0, at most
            :data:`MAX_YEARS`).
        minute: Also write minute bars (daily bars are then their aggregates).
        minute_assets: How many assets (the lowest sids) get minute bars, 1 to ``n_assets``
            (only with ``minute``); default all.
        seed: Seed (>= 0); the same arguments always give the same bundle version.
        end_session: Last session (default 2024-12-31, fixed, never "today"); a day that is
            not a session (weekend, holiday) ends the data at the last session before it.
        calendar_name: exchange-calendars name; register the bundle with the same calendar
            (:func:`register_synthetic` does it for you).

    Returns:
        A callable ``fn(writer)`` for :func:`rustybt.data.bundles.register`.

    Raises:
        InvalidSourceOption: An argument out of range or unparseable (a ``ValueError``), or no
            session of the calendar in the range; the message names the argument and value.
    """
    return SyntheticIngest(
        **check_synthetic_args(
            n_assets,
            years,
            minute=minute,
            minute_assets=minute_assets,
            seed=seed,
            end_session=end_session,
            calendar_name=calendar_name,
        )
    )
