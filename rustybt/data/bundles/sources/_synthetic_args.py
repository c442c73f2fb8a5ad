"""Checks of the synthetic source's arguments, before anything is generated.

Every public entry point (:func:`~.synthetic.synthetic_ingest`, :func:`~.synthetic.iter_synthetic`,
:func:`~.synthetic.synthetic_frames`, the ``synthetic`` source and so ``rustybt ingest --source
synthetic``) goes through :func:`check_synthetic_args`, so a bad value is one
:class:`~rustybt.errors.InvalidSourceOption` (a ``ValueError``) naming the argument and the
value, never a NumPy or pandas error from deep inside the generation. The messages use the
Python parameter names; the source and the CLI rename them (``assets``, ``--assets``).

Limits and why:

- ``n_assets >= 1`` (a bundle needs an asset);
- ``0 < years <= MAX_YEARS`` and finite: beyond a century the quarterly dividends of the
  designed hard cases drive raw prices towards zero cents;
- ``seed >= 0`` (NumPy seeds are non-negative);
- ``minute_assets`` only with ``minute``, and ``1 <= minute_assets <= n_assets`` (never
  clamped: the minute assets are sids ``0 .. minute_assets-1``);
- ``end_session`` parses as a date; a day that is not a session of the calendar (weekend,
  holiday) ends the data at the last session before it;
- ``calendar_name`` is an exchange-calendars name or alias.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from rustybt.calendars import unknown_calendar
from rustybt.errors import InvalidSourceOption

__all__ = ["MAX_YEARS", "check_synthetic_args"]

MAX_YEARS = 100


def _whole(name: str, value: Any) -> int:
    """``value`` as an int when it is a whole number (int, integral float or digit string)."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise InvalidSourceOption("{0}: expected a whole number", {name: value})


def _years(value: Any) -> float:
    try:
        years = float(value)
    except (TypeError, ValueError):
        raise InvalidSourceOption("{0}: expected a number of years", {"years": value}) from None
    if not math.isfinite(years) or years <= 0 or years > MAX_YEARS:
        raise InvalidSourceOption(
            f"{{0}}: must be more than 0 and at most {MAX_YEARS}", {"years": value}
        )
    return years


def _end_session(value: Any) -> None:
    if value is None:
        return
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        ts = pd.NaT
    if ts is pd.NaT:
        raise InvalidSourceOption("{0}: not a date (expected YYYY-MM-DD)", {"end_session": value})


def check_synthetic_args(
    n_assets: Any,
    years: Any,
    *,
    minute: Any,
    minute_assets: Any,
    seed: Any,
    end_session: Any,
    calendar_name: Any,
) -> dict[str, Any]:
    """The arguments, checked and converted (the ingest function's ``params``).

    Raises:
        InvalidSourceOption: A value out of range or unparseable; the message names it.
    """
    n = _whole("n_assets", n_assets)
    if n < 1:
        raise InvalidSourceOption("{0}: must be >= 1", {"n_assets": n_assets})
    y = _years(years)
    s = _whole("seed", seed)
    if s < 0:
        raise InvalidSourceOption("{0}: must be >= 0 (NumPy seeds)", {"seed": seed})
    m = bool(minute)
    if minute_assets is not None:
        k = _whole("minute_assets", minute_assets)
        if not m:
            raise InvalidSourceOption(
                "{0} given without minute bars ({1}): ask for them or leave it out",
                {"minute_assets": minute_assets, "minute": minute},
            )
        if k < 1:
            raise InvalidSourceOption(
                "{0}: must be >= 1 (no minute bars: leave out minute)",
                {"minute_assets": minute_assets},
            )
        if k > n:
            raise InvalidSourceOption(
                "{0}: more than {1} (the minute assets are the lowest sids of the assets)",
                {"minute_assets": minute_assets, "n_assets": n_assets},
            )
        minute_assets = k
    _end_session(end_session)
    problem = unknown_calendar(calendar_name)
    if problem is not None:
        braces = problem.replace("{", "{{").replace("}", "}}")
        raise InvalidSourceOption("{0}: " + braces, {"calendar_name": calendar_name})
    return {
        "n_assets": n,
        "years": y,
        "minute": m,
        "minute_assets": minute_assets,
        "seed": s,
        "end_session": end_session,
        "calendar_name": calendar_name,
    }
