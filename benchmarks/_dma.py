"""The dual moving average score of the function workloads (benchmarks/optimization.py and the
regression gate's ``pre_grouping`` check): one definition, so both time the same arithmetic."""

from __future__ import annotations

import numpy as np


def dma_score(close: np.ndarray, short: int, long_: int) -> float:
    """Total return of holding while the short mean of ``close`` is above the long one."""
    csum = np.concatenate([[0.0], np.cumsum(close)])
    idx = np.arange(long_, len(close))
    fast = (csum[idx] - csum[idx - short]) / short
    slow = (csum[idx] - csum[idx - long_]) / long_
    rets = close[idx[1:]] / close[idx[:-1]] - 1.0
    return float(np.prod(1.0 + rets * (fast[:-1] > slow[:-1])) - 1.0)
