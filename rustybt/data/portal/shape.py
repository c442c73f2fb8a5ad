"""Shape computed windows into what history() returns: arrays as they are, or pandas wrappers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def shape_result(
    arrays: dict[str, np.ndarray],
    fields: list[str],
    assets: list[Any],
    single_asset: bool,
    single_field: bool,
    frequency: str,
    start: int,
    stop: int,
    return_type: str,
    frame_maker: Callable[[], Any],
) -> Any:
    """Return the documented shape for ``return_type``.

    Arrays: ``(bar_count,)`` for one asset and field, ``(bar_count, N)`` for N assets,
    ``(n_fields, bar_count[, N])`` for several fields. DataFrames follow zipline's
    ``BarData.history`` layouts; ``frame_maker`` (imported lazily: the array path never
    touches pandas) wraps the same arrays around index slices of the calendar ``[start, stop)``.
    """
    if return_type == "array":
        if single_field:
            out = arrays[fields[0]]
            return out[:, 0] if single_asset else out
        stacked = np.stack([arrays[f] for f in fields])
        return stacked[:, :, 0] if single_asset else stacked
    maker = frame_maker()
    index = maker.index(frequency, start, stop)
    if single_field:
        out = arrays[fields[0]]
        if single_asset:
            return maker.series(out[:, 0], index, assets[0])
        return maker.frame(out, index, assets)
    return maker.multi_field(arrays, index, assets, frequency)
