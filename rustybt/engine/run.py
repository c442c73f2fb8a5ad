"""``run_algorithm``: build the portal, resolve the sessions, run, return the results frame."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from rustybt.data.portal.protocol import DataPortalLike
from rustybt.engine.algorithm import Hook, TradingAlgorithm
from rustybt.engine.api import running
from rustybt.engine.clock import SessionClock
from rustybt.engine.money import to_money
from rustybt.engine.simulation import Simulation
from rustybt.errors import InvalidSimulation

__all__ = ["run_algorithm"]


def _session_bound(value: Any, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise InvalidSimulation(f"{name} {value!r} is not a date") from None
    if ts is pd.NaT:
        raise InvalidSimulation(f"{name} is NaT: a simulation needs a date")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    if ts != ts.normalize():
        raise InvalidSimulation(f"{name} {value!r} has a time of day: give a session date")
    return ts


def _naive(values: Any) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(values)
    return index.tz_localize(None) if index.tz is not None else index


def _wider_sessions(calendar: Any, sessions: pd.DatetimeIndex, first: pd.Timestamp,
                    last: pd.Timestamp) -> pd.DatetimeIndex:
    """The sessions of ``calendar``'s exchange from ``first`` to ``last`` and over its own range.

    Raises:
        InvalidSimulation: the exchange's calendar does not reach that far back or forward.
    """
    from rustybt.calendars import covering_calendar

    name = getattr(calendar, "name", None)
    wider = None
    if isinstance(name, str):
        try:
            wider = covering_calendar(name, min(first, sessions[0]), max(last, sessions[-1]))
        except Exception:  # unknown name, or a range exchange-calendars does not cover
            wider = None
    if wider is None:
        raise InvalidSimulation(
            f"the simulation {first.date()}..{last.date()} leaves the calendar's sessions "
            f"{sessions[0].date()}..{sessions[-1].date()}") from None
    return _naive(wider.sessions)


def resolve_sessions(calendar: Any, start: Any, end: Any,
                     data_sessions: pd.DatetimeIndex | None = None) -> pd.DatetimeIndex:
    """Sessions from ``start`` (rolled forward) to ``end`` (rolled back) on ``calendar``.

    Raises:
        InvalidSimulation: the range is empty or leaves the data's sessions.
    """
    first, last = _session_bound(start, "start"), _session_bound(end, "end")
    if first > last:
        raise InvalidSimulation(f"start {first.date()} is after end {last.date()}")
    sessions = _naive(calendar.sessions)
    if len(sessions) and (first < sessions[0] or last > sessions[-1]):
        # a bundle's calendar covers only the bundle's sessions: without the wider calendar
        # a range starting before the data would silently start at the data's first session
        sessions = _wider_sessions(calendar, sessions, first, last)
    chosen = sessions[(sessions >= first) & (sessions <= last)]
    if len(chosen) == 0:
        raise InvalidSimulation(
            f"no {getattr(calendar, 'name', '')} session between {first.date()} and "
            f"{last.date()}".replace("  ", " "))
    if data_sessions is not None and len(data_sessions):
        lo, hi = data_sessions[0], data_sessions[-1]
        if chosen[0] < lo or chosen[-1] > hi:
            raise InvalidSimulation(
                f"the simulation {chosen[0].date()}..{chosen[-1].date()} leaves the data, "
                f"which covers {lo.date()}..{hi.date()}")
    return chosen


def _portal(bundle: Any, data_portal: DataPortalLike | None, root: Path | str | None) -> Any:
    if (bundle is None) == (data_portal is None):
        raise InvalidSimulation("give exactly one of bundle= (a name or Bundle) or data_portal=")
    if data_portal is not None:
        return data_portal
    from rustybt.data.bundles.registry import load
    from rustybt.data.portal.portal import ArrowDataPortal

    loaded = load(bundle, root=root) if isinstance(bundle, str) else bundle
    return ArrowDataPortal(loaded)


def _capital(capital_base: Any) -> Decimal:
    try:
        value = float(capital_base)
    except (TypeError, ValueError):
        raise InvalidSimulation(f"capital_base must be a number, not {capital_base!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise InvalidSimulation(f"capital_base must be finite and > 0, not {capital_base!r}")
    return to_money(capital_base if isinstance(capital_base, Decimal | int) else value)


def run_algorithm(
    start: Any,
    end: Any,
    initialize: Hook | None = None,
    handle_data: Hook | None = None,
    before_trading_start: Hook | None = None,
    analyze: Hook | None = None,
    *,
    capital_base: float | Decimal = 10_000_000.0,
    bundle: Any = None,
    data_portal: DataPortalLike | None = None,
    data_frequency: str = "daily",
    benchmark_returns: pd.Series | None = None,
    params: dict[str, Any] | None = None,
    root: Path | str | None = None,
    algorithm: TradingAlgorithm | None = None,
    progress: Callable[[int], None] | None = None,
    details: bool = True,
) -> pd.DataFrame:
    """Run a zipline-style algorithm from ``start`` to ``end``; return the results frame.

    Args:
        start: First session (a later date rolls forward to the next session).
        end: Last session (rolls back to the previous session).
        initialize: ``initialize(context)``.
        handle_data: ``handle_data(context, data)``, every bar.
        before_trading_start: ``before_trading_start(context, data)``, before each session.
        analyze: ``analyze(context, perf)`` at the end.
        capital_base: Starting cash.
        bundle: A bundle name (loaded from ``root``) or a :class:`rustybt.Bundle`.
        data_portal: Any :class:`~rustybt.data.portal.protocol.DataPortalLike` instead.
        data_frequency: ``'daily'`` (one bar per session) or ``'minute'``.
        benchmark_returns: Daily benchmark returns by session (default: zero, unless the
            algorithm calls ``set_benchmark``).
        params: ``context.params``.
        root: rustybt root for ``bundle`` names.
        algorithm: A ready :class:`TradingAlgorithm` instead of the four hooks.
        progress: Called with the number of sessions done after each session.
        details: False leaves the ``positions``, ``orders`` and ``transactions`` columns out
            of the results (an optimizer's trial needs only the numbers; building those
            dicts is ~15 % of a daily run): every other column is the same.

    Returns:
        zipline's perf frame: one row per session (naive session dates as index).

    Raises:
        InvalidSimulation: bad dates, capital, frequency, or a range outside the data.
    """
    if data_frequency not in ("daily", "minute"):
        raise InvalidSimulation(
            f"data_frequency must be 'daily' or 'minute', not {data_frequency!r}")
    capital = _capital(capital_base)
    portal = _portal(bundle, data_portal, root)
    data_sessions = getattr(portal, "sessions", None)
    clock = SessionClock(portal, minutes=data_frequency == "minute")
    sessions = resolve_sessions(clock, start, end,
                                pd.DatetimeIndex(data_sessions) if data_sessions is not None
                                else None)
    if algorithm is None:
        algorithm = TradingAlgorithm(initialize, handle_data, before_trading_start, analyze,
                                     params=params)
    elif any(h is not None for h in (initialize, handle_data, before_trading_start, analyze)):
        raise InvalidSimulation("give either algorithm= or the hook functions, not both")
    algorithm._pending_portal = portal
    algorithm._lookup_end = sessions[-1]
    sim = Simulation(algorithm, portal, sessions, capital, data_frequency,
                     benchmark_returns=benchmark_returns, progress=progress, clock=clock,
                     details=details)
    with running(algorithm):
        perf = sim.run()
        algorithm.analyze(perf)
    return perf
