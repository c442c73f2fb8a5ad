"""Shared pieces of the optimization tests: a tiny bundle writer and a dual-MA factory.

The factory is module level (picklable) and reads the ``_array_returns`` flag the workloads
pass: it asks for arrays when told to, for DataFrames otherwise (so the history cache, which
keeps DataFrames, is exercised), and computes the same numbers either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import rustybt.api as api
from rustybt import Bundle
from rustybt.testing import BundleSpec, make_bundle, session_span, walk_ohlcv

N_SESSIONS = 50
SESSIONS = session_span(N_SESSIONS, "2021-01-04", "XNYS")


def write_bundle(root: Path, seed: int = 1, name: str = "opt", n_assets: int = 3) -> Bundle:
    """``n_assets`` random-walk assets over ``N_SESSIONS`` sessions, as bundle ``name``."""
    rng = np.random.default_rng(seed)
    daily = {}
    for sid in range(n_assets):
        frame = walk_ohlcv(rng, N_SESSIONS, 50 + 10 * sid)
        frame.insert(0, "date", SESSIONS)
        daily[sid] = frame
    return make_bundle(root, BundleSpec.from_bars(daily), name=name)


def dma_hooks(params: dict[str, Any]) -> dict[str, Any]:
    """Dual moving average over sids 0..2; records the last close it saw of sid 0."""
    short, long_ = params["short"], params["long"]
    as_array = params.get("_array_returns", False)

    def initialize(context: Any) -> None:
        context.assets = [api.sid(s) for s in range(3)]

    def handle_data(context: Any, data: Any) -> None:
        if as_array:
            hist = data.history(context.assets, "price", long_, "1d", return_type="array")
        else:
            hist = data.history(context.assets, "price", long_, "1d").to_numpy()
        fast = hist[-short:].mean(axis=0)
        slow = hist.mean(axis=0)
        for j, asset in enumerate(context.assets):
            api.order_target_percent(asset, 0.3 if fast[j] > slow[j] else 0.0)
        api.record(close0=float(hist[-1, 0]))

    return {"initialize": initialize, "handle_data": handle_data}


def start_end() -> tuple[pd.Timestamp, pd.Timestamp]:
    """Leave room for the longest window."""
    return pd.Timestamp(SESSIONS[20]), pd.Timestamp(SESSIONS[-1])
