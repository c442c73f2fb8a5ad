"""Shape computed windows into what ``history()`` returns for each ``return_type``.

- ``'array'``: the arrays as they are: ``(bar_count,)`` for one asset and field,
  ``(bar_count, N)`` for N assets, ``(n_fields, bar_count[, N])`` for several fields.
- ``'dataframe'``: zipline's ``BarData.history`` layouts (:mod:`.frames`, pandas imported on
  first use: the array path never touches pandas).
- ``'arrow'`` / ``'polars'``: a ``pyarrow.Table`` / ``polars.DataFrame`` with a ``date``
  column (:mod:`.tables`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from rustybt.data.portal.request import HistoryRequest
from rustybt.data.portal.tables import arrow_table
from rustybt.data.store.calendar_index import CalendarIndex

if TYPE_CHECKING:
    from rustybt.data.portal.frames import FrameMaker

__all__ = ["shape_result"]


def shape_result(
    req: HistoryRequest,
    arrays: dict[str, np.ndarray],
    start: int,
    stop: int,
    cal: CalendarIndex,
    frames: Callable[[], FrameMaker],
) -> Any:
    """The result of ``req`` for windows ``arrays`` covering calendar positions
    ``[start, stop)`` (sessions for '1d', minutes for '1m')."""
    fields = req.fields
    single_asset = req.single_asset
    rt = req.return_type
    if rt == "array":
        if req.single_field:
            out = arrays[fields[0]]
            return out[:, 0] if single_asset else out
        stacked = np.stack([arrays[f] for f in fields])
        return stacked[:, :, 0] if single_asset else stacked
    if rt != "dataframe":
        table = arrow_table(req, arrays, cal, start, stop)
        if rt == "arrow":
            return table
        import polars as pl

        return pl.from_arrow(table)
    maker = frames()
    index = maker.index(req.frequency, start, stop)
    assets = list(req.assets)
    if req.single_field:
        out = arrays[fields[0]]
        if single_asset:
            return maker.series(out[:, 0], index, assets[0])
        return maker.frame(out, index, assets)
    return maker.multi_field(arrays, index, assets, req.frequency)
