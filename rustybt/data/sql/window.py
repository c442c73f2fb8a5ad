"""SQL text of the window helpers: rolling statistics per asset and the ASOF join to bars.

Only validated values reach the SQL text: a whitelisted field name, a positive int window and
quoted identifiers of the user's own columns; every user *value* (sids, dates) is a bound
``$parameter``.

Perspective. ``daily_bars_adjusted`` is seen from the last session P: ``raw[s] × F[s]`` with
``F[s] = Π ratios, s < E ≤ P``. ``history()`` at an end date t sees ``raw[s] × F[s] / F[t]``, so
each statistic that scales with prices (mean, std, min, max, sum) is computed on the P-adjusted
series and divided by ``F[t]`` (volume: multiplied by its split factor); returns are ratios and
need no rescaling.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from rustybt.data.sql.views import qualified

__all__ = ["FIELDS", "FREQUENCIES", "STATS", "asof_join_sql", "quote_ident", "rolling_sql"]

FIELDS = ("open", "high", "low", "close", "volume")
STATS = ("mean", "std", "min", "max", "sum", "returns")
_AGG = {"mean": "avg", "std": "stddev_samp", "min": "min", "max": "max", "sum": "sum"}
PERSPECTIVES = ("window_end", "last_session")

FREQUENCIES = ("daily", "minute")

# The window grid: every session (daily) or every market minute (minute) from each asset's
# first to last bar, with the session ``date`` each grid row belongs to and its time ``t``.
_DAILY_GRID = """
life AS (
    SELECT sid, min(date) AS lo, max(date) AS hi FROM {daily_bars} {sid_filter} GROUP BY sid
), grid AS (
    SELECT life.sid, s.session AS date, s.session AS t FROM life
    JOIN {sessions} s ON s.session BETWEEN life.lo AND life.hi
)"""
_MINUTE_GRID = """
life AS (
    SELECT sid, min(dt) AS lo, max(dt) AS hi FROM {minute_bars} {sid_filter} GROUP BY sid
), market_minutes AS (
    SELECT session AS date,
           unnest(generate_series(open + INTERVAL 1 MINUTE, close, INTERVAL 1 MINUTE)) AS t
    FROM {sessions}
), grid AS (
    SELECT life.sid, m.date, m.t FROM life JOIN market_minutes m ON m.t BETWEEN life.lo AND life.hi
)"""
_FACTORS = """
    SELECT grid.sid, grid.date, grid.t, coalesce(p.factor, 1.0) AS pf, coalesce(v.factor, 1.0) AS vf
    FROM grid
    ASOF LEFT JOIN {_rb_price_factors} p ON grid.sid = p.sid AND grid.date < p.eff
    ASOF LEFT JOIN {_rb_volume_factors} v ON grid.sid = v.sid AND grid.date < v.eff"""


# Helper SQL names the bundle's own relations (never a user's TEMP object of the same name).
_Q = {
    name: qualified(name)
    for name in (
        "daily_bars", "minute_bars", "sessions",
        "_rb_price_factors", "_rb_volume_factors", "_rb_daily_factored",
    )
}  # fmt: skip


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB (double quotes, embedded quotes doubled)."""
    return '"' + str(name).replace('"', '""') + '"'


def _check_field(field: str) -> None:
    if field not in FIELDS:
        raise ValueError(f"field must be one of {FIELDS}, got {field!r}")


def _bound(value: Any, frequency: str) -> Any:
    ts = pd.Timestamp(value)
    if frequency == "daily":
        return ts.date()
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).to_pydatetime()


def rolling_sql(
    window: int,
    field: str = "close",
    *,
    stats: Sequence[str] = ("mean", "std"),
    sids: Sequence[int] | None = None,
    start: Any = None,
    end: Any = None,
    adjusted: bool = True,
    perspective: str = "window_end",
    frequency: str = "daily",
) -> tuple[str, dict[str, Any]]:
    """SQL and parameters of :meth:`BundleSQL.rolling` (see there)."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive int, got {window!r}")
    _check_field(field)
    bad = [s for s in stats if s not in STATS]
    if bad or not stats:
        raise ValueError(f"stats must be a non-empty subset of {STATS}, got {list(stats)}")
    if perspective not in PERSPECTIVES:
        raise ValueError(f"perspective must be one of {PERSPECTIVES}, got {perspective!r}")
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {FREQUENCIES}, got {frequency!r}")
    t_col, source = ("date", "daily_bars") if frequency == "daily" else ("dt", "minute_bars")
    source = qualified(source)
    params: dict[str, Any] = {}
    sid_filter = ""
    if sids is not None:
        params["sids"] = [int(s) for s in sids]
        sid_filter = "WHERE list_contains($sids, sid)"
    volume = field == "volume"
    if not adjusted:
        last_value, scale = "CAST(b.raw AS DOUBLE)", ""
    elif volume:
        last_value, scale = "CAST(b.raw AS DOUBLE) / g.vf", " * vf"
    else:
        last_value, scale = "b.raw * g.pf", " / pf"
    if perspective == "last_session":
        scale = ""
    # Volume on a halted session inside the asset's life reads as 0 (prices as NULL).
    if volume:
        last_value = f"coalesce({last_value}, 0.0)"
    frame = f"ROWS BETWEEN {window - 1} PRECEDING AND CURRENT ROW"
    cols = []
    for stat in stats:
        if stat == "returns":
            lag = f"lag(lv, {window}) OVER (PARTITION BY sid ORDER BY t)"
            cols.append(f"lv / {lag} - 1 AS returns")
        else:
            cols.append(f"{_AGG[stat]}(lv) OVER w{scale} AS rolling_{stat}")
    value = "lv" if perspective == "last_session" else "CAST(raw AS DOUBLE)"
    if volume and perspective == "window_end":
        value = "coalesce(CAST(raw AS DOUBLE), 0.0)"
    where = []
    if start is not None:
        params["start"] = _bound(start, frequency)
        where.append(f"{t_col} >= $start")
    if end is not None:
        params["end"] = _bound(end, frequency)
        where.append(f"{t_col} <= $end")
    grid = (_DAILY_GRID if frequency == "daily" else _MINUTE_GRID).format(
        sid_filter=sid_filter, **_Q
    )
    text = f"""
WITH {grid}, g AS ({_FACTORS.format(**_Q)}
), x AS (
    SELECT g.sid, g.t, g.pf, g.vf, b.raw, b.t AS bar_t, {last_value} AS lv
    FROM g LEFT JOIN (SELECT sid, {t_col} AS t, {field} AS raw FROM {source} {sid_filter}) b
    ON b.sid = g.sid AND b.t = g.t
), w AS (
    SELECT sid, t AS {t_col}, {value} AS {field}, count(bar_t) OVER w AS bars, {", ".join(cols)}
    FROM x WINDOW w AS (PARTITION BY sid ORDER BY t {frame})
)
SELECT * FROM w {"WHERE " + " AND ".join(where) if where else ""}
ORDER BY sid, {t_col}"""
    return text, params


def asof_join_sql(
    name: str,
    columns: Sequence[str],
    *,
    on: str,
    by: str,
    fields: Sequence[str],
    adjusted: bool,
    row_column: str = "_rb_row",
) -> str:
    """SQL joining registered table ``name`` to the last daily bar on or before ``on``.

    ``row_column`` (a column of the registered table) keeps the user's row order.
    """
    for f in fields:
        _check_field(f)
    if on not in columns or by not in columns:
        raise ValueError(f"columns {on!r} and {by!r} must be in the table; found {list(columns)}")
    user = ", ".join(f"u.{quote_ident(c)}" for c in columns if c != row_column)
    out = []
    for f in fields:
        if not adjusted:
            out.append(f"CAST(u._b_{f} AS DOUBLE) AS {f}")
        elif f == "volume":
            out.append(f"u._b_{f} / u._vf_bar * coalesce(v.factor, 1.0) AS {f}")
        else:
            out.append(f"u._b_{f} * u._pf_bar / coalesce(p.factor, 1.0) AS {f}")
    bar_cols = ", ".join(f"b.{f} AS _b_{f}" for f in fields)
    return f"""
WITH t AS (
    SELECT *, CAST({quote_ident(on)} AS DATE) AS _rb_on,
           CAST({quote_ident(by)} AS BIGINT) AS _rb_sid
    FROM {quote_ident(name)}
), u AS (
    SELECT t.*, b.date AS bar_date, b.price_factor AS _pf_bar, b.volume_factor AS _vf_bar,
           {bar_cols}
    FROM t ASOF LEFT JOIN {_Q["_rb_daily_factored"]} b ON t._rb_sid = b.sid AND t._rb_on >= b.date
)
SELECT {user}, u.bar_date, {", ".join(out)}
FROM u
ASOF LEFT JOIN {_Q["_rb_price_factors"]} p ON u._rb_sid = p.sid AND u._rb_on < p.eff
ASOF LEFT JOIN {_Q["_rb_volume_factors"]} v ON u._rb_sid = v.sid AND u._rb_on < v.eff
ORDER BY u.{quote_ident(row_column)}"""
