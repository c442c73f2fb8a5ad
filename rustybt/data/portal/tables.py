"""History windows as Arrow tables (and, through them, Polars frames) with a ``date`` column.

Layouts (documented in docs/user-guide/history.md):

- **one field** (wide): ``date`` then one float64 column per asset, in the order passed.
- **several fields** (long): ``date``, ``sid`` (int64), ``asset`` (the same name the wide
  layout gives the asset), then one float64 column per field in the order asked; one row per
  (date, asset), ordered by date, then by the assets in the order passed. Pivoting a field of
  the long table on ``asset`` gives the wide table of that field.

``date`` holds session dates (``date32``, naive: sessions are calendar dates) for ``'1d'`` and
UTC ``timestamp[ns]`` minutes for ``'1m'``. Missing bars are NaN (not null), like the array
and pandas results. Asset names: every asset's ``symbol`` when all assets passed have a
non-empty one and the symbols are distinct (and none is ``"date"``); otherwise ``str(sid)``
for all of them. An asset passed twice gets ``.1``, ``.2``... appended to its later columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from rustybt.data.portal.request import HistoryRequest
from rustybt.data.store.calendar_index import CalendarIndex

__all__ = ["arrow_table", "asset_names"]

_NS_PER_DAY = 86_400 * 1_000_000_000


def asset_names(assets: Sequence[Any], sids: Sequence[int]) -> list[str]:
    """Column names of ``assets``: symbols when all present and distinct, else sids."""
    symbols = [getattr(a, "symbol", None) for a in assets]
    if (all(isinstance(s, str) and s for s in symbols) and len(set(symbols)) == len(symbols)
            and "date" not in symbols):
        return symbols  # type: ignore[return-value]  # all str (checked)
    names: list[str] = []
    seen: dict[str, int] = {}
    for sid in sids:
        base = str(sid)
        k = seen.get(base, 0)
        seen[base] = k + 1
        names.append(base if k == 0 else f"{base}.{k}")
    return names


def _dates(req: HistoryRequest, cal: CalendarIndex, start: int, stop: int) -> pa.Array:
    if req.frequency == "1d":
        days = (cal.sessions[start:stop] // _NS_PER_DAY).astype(np.int32)
        return pa.array(days, type=pa.date32())
    assert cal.minutes is not None
    return pa.array(cal.minutes[start:stop], type=pa.timestamp("ns", tz="UTC"))


def arrow_table(
    req: HistoryRequest, arrays: dict[str, np.ndarray], cal: CalendarIndex, start: int, stop: int
) -> pa.Table:
    """The wide (one field) or long (several fields) table of the windows ``arrays``
    (each ``(bar_count, n_assets)``) covering calendar positions ``[start, stop)``."""
    dates = _dates(req, cal, start, stop)
    names = asset_names(req.assets, req.sids)
    if req.single_field:
        by_asset = np.ascontiguousarray(arrays[req.fields[0]].T)
        columns = {"date": dates}
        columns.update((name, pa.array(by_asset[j])) for j, name in enumerate(names))
        return pa.table(columns)
    n_assets = len(names)
    bar_pos = np.repeat(np.arange(len(dates)), n_assets)
    asset_pos = np.tile(np.arange(n_assets), len(dates))
    long = {
        "date": dates.take(pa.array(bar_pos)),
        "sid": pa.array(np.asarray(req.sids, dtype=np.int64)[asset_pos]),
        "asset": pa.array(names, pa.string()).take(pa.array(asset_pos)),
    }
    long.update((f, pa.array(np.asarray(arrays[f]).reshape(-1))) for f in req.fields)
    return pa.table(long)
