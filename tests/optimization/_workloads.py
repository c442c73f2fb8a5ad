"""Picklable workloads for the optimization tests (module-level functions)."""

from __future__ import annotations

from typing import Any


def paraboloid(params: dict[str, Any], data: Any) -> dict[str, float]:
    """A smooth objective with its maximum at x=3, y=-1 (and a data-dependent offset)."""
    offset = 0.0 if data is None else float(data)
    x, y = float(params["x"]), float(params["y"])
    return {"score": offset - (x - 3.0) ** 2 - (y + 1.0) ** 2, "x2": x * x}


def fails_for_odd_x(params: dict[str, Any], data: Any) -> dict[str, float]:
    """Raises for odd x: a failing trial must be recorded, not stop the search."""
    if int(params["x"]) % 2:
        raise RuntimeError(f"odd x={params['x']}")
    return {"score": float(params["x"])}


def interrupts_at_x3(params: dict[str, Any], data: Any) -> dict[str, float]:
    """Simulates Ctrl-C while trial x=3 runs."""
    if int(params["x"]) == 3:
        raise KeyboardInterrupt
    return {"score": float(params["x"])}


def load_offset() -> float:
    """A per-worker loader."""
    return 10.0
