"""Plots of optimization results, as PNG files.

- :func:`plot_heatmap`: the objective over two parameters (a 2-D grid); with more parameters,
  each cell shows the best value over the others. Cells with no finished trial are blank; the
  best cell is outlined.
- :func:`plot_history`: each finished trial's value by trial number and the best so far (for
  searches that are not 2-D grids).
- :func:`plot_walkforward`: the stitched out-of-sample equity with the test windows' starts
  marked, over the in-sample and out-of-sample objective of each window.

Like :func:`rustybt.engine.results.plot_results`, they draw with matplotlib's object API on an
Agg canvas (no pyplot, no global state, no display needed).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from rustybt.optimization.results import StudyResult
    from rustybt.optimization.walkforward import WalkForwardResult

__all__ = ["heatmap_table", "plot_heatmap", "plot_history", "plot_walkforward"]


def _figure(width: float, height: float, dpi: int) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not (width > 0 and height > 0 and dpi > 0):
        raise ValueError(f"plot size must be positive: width={width}, height={height}, dpi={dpi}")
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: str | Path, dpi: int) -> Path:
    fig.tight_layout()
    target = Path(path)
    fig.savefig(target, format="png", dpi=dpi)
    return target


def heatmap_table(result: StudyResult, x: str, y: str) -> Any:
    """The heatmap's values: rows ``y``, columns ``x`` (sorted), the best finished value per
    cell (NaN where none finished)."""
    for name in (x, y):
        if name not in result.param_names:
            raise ValueError(f"{name!r} is not a parameter of the study {result.param_names}")
    if x == y:
        raise ValueError(f"a heatmap needs two different parameters, not {x!r} twice")
    frame = result.to_pandas()
    frame = frame[frame["status"] == "ok"].dropna(subset=["value"])
    frame = frame[np.isfinite(frame["value"].to_numpy())]
    if frame.empty:
        raise ValueError("no finished trial to plot")
    agg = "max" if result.objective.direction == "maximize" else "min"
    return frame.pivot_table(index=y, columns=x, values="value", aggfunc=agg).sort_index(
        axis=0).sort_index(axis=1)


def plot_heatmap(result: StudyResult, path: str | Path, x: str | None = None,
                 y: str | None = None, *, width: float = 8.0, height: float = 6.0,
                 dpi: int = 100) -> Path:
    """PNG of the objective over parameters ``x`` (columns) and ``y`` (rows).

    Defaults: the study's first two parameters.

    Raises:
        ValueError: fewer than two parameters, an unknown name, or no finished trial.
    """
    if x is None or y is None:
        if len(result.param_names) < 2:
            raise ValueError(f"a heatmap needs two parameters, the study has "
                             f"{result.param_names}")
        x, y = x or result.param_names[0], y or result.param_names[1]
    table = heatmap_table(result, x, y)
    values = table.to_numpy(dtype=float)
    fig = _figure(width, height, dpi)
    ax = fig.subplots()
    cmap = "viridis" if result.objective.direction == "maximize" else "viridis_r"
    image = ax.imshow(np.ma.masked_invalid(values), origin="lower", aspect="auto", cmap=cmap)
    fig.colorbar(image, ax=ax, label=result.objective.name)
    ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns], rotation=45)
    ax.set_yticks(range(len(table.index)), [str(i) for i in table.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if values.size <= 400:
        for (i, j), v in np.ndenumerate(values):
            if math.isfinite(v):  # dark text on the bright half of the colour map
                bright = (image.norm(v) > 0.5) == (cmap == "viridis")
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7,
                        color="black" if bright else "white")
    finite = np.where(np.isfinite(values), values, np.nan)
    flat = np.nanargmax(finite) if result.objective.direction == "maximize" else np.nanargmin(
        finite)
    bi, bj = np.unravel_index(flat, values.shape)
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((bj - 0.5, bi - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2))
    ax.set_title(f"{result.objective.name} by {x} and {y}: best {values[bi, bj]:.4g} at "
                 f"{x}={table.columns[bj]}, {y}={table.index[bi]}")
    return _save(fig, path, dpi)


def plot_history(result: StudyResult, path: str | Path, *, width: float = 8.0,
                 height: float = 5.0, dpi: int = 100) -> Path:
    """PNG of each finished trial's value by trial number, with the best so far."""
    done = sorted(result.completed, key=lambda t: t.number)
    if not done:
        raise ValueError("no finished trial to plot")
    numbers = [t.number for t in done]
    values = np.array([t.value for t in done], dtype=float)
    best = (np.maximum.accumulate(values) if result.objective.direction == "maximize"
            else np.minimum.accumulate(values))
    fig = _figure(width, height, dpi)
    ax = fig.subplots()
    ax.scatter(numbers, values, s=12, color="tab:blue", label="trial")
    ax.step(numbers, best, where="post", color="tab:red", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(result.objective.name)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    ax.set_title(f"{result.sampler}: {len(done)} finished of {len(result.trials)} trials")
    return _save(fig, path, dpi)


def plot_walkforward(result: WalkForwardResult, path: str | Path, *, width: float = 10.0,
                     height: float = 6.0, dpi: int = 100) -> Path:
    """PNG of the stitched out-of-sample equity (growth of 1; test windows' starts dashed)
    over bars of each window's in-sample and out-of-sample objective.

    Raises:
        ValueError: no window, or no window has out-of-sample returns or values.
    """
    ok = [r for r in result.windows if r.status == "ok"]
    if not ok:
        raise ValueError("no walk-forward window finished")
    equity = result.equity
    fig = _figure(width, height, dpi)
    top, bottom = fig.subplots(2, 1, height_ratios=[2, 1])
    if equity is not None:
        top.plot(equity.index, equity.to_numpy(), color="tab:blue", linewidth=1.2,
                 label="out-of-sample equity")
        for r in ok:
            top.axvline(r.window.test_start, color="grey", linewidth=0.7, linestyle="--")
        top.axhline(1.0, color="black", linewidth=0.6)
        top.set_ylabel("growth of 1")
        top.legend(loc="upper left")
        top.set_title(f"walk-forward ({result.mode}): out-of-sample total return "
                      f"{equity.iloc[-1] - 1.0:+.2%} over {len(ok)} windows")
    else:
        top.set_axis_off()
        top.set_title(f"walk-forward ({result.mode}): {len(ok)} windows (no daily returns)")
    top.grid(True, alpha=0.3)
    idx = np.arange(len(result.windows))
    ins = [r.in_sample if r.in_sample is not None else np.nan for r in result.windows]
    oos = [r.oos_value if r.oos_value is not None else np.nan for r in result.windows]
    bottom.bar(idx - 0.2, ins, width=0.4, color="tab:green", label="in sample")
    bottom.bar(idx + 0.2, oos, width=0.4, color="tab:orange", label="out of sample")
    bottom.set_xticks(idx, [str(r.window.test_start.date()) for r in result.windows],
                      rotation=30)
    bottom.set_ylabel(result.objective.name)
    bottom.axhline(0.0, color="black", linewidth=0.6)
    bottom.legend(loc="best")
    return _save(fig, path, dpi)
