"""The report's charts as PNG bytes: time per configuration, and the cumulative waterfall.

- :func:`time_per_configuration`: one horizontal bar per configuration (baseline on top), its
  mean wall time with the 95% interval of the mean as error bars, the mean written beside it;
  colours by status (baseline grey, accepted green, rejected red, other blue).
- :func:`speedup_waterfall`: relative time (baseline = 1) along the chain of steps; each
  step's bar floats from the running product before it to the one after it (the step's time
  ratio; green when it is faster, red when slower), with its ratio interval as an error bar
  and ``×ratio → running product`` written above it; a dashed line separates layers, and each
  layer's name and product head its steps; the last bar is the total from 0.

Deterministic: matplotlib's object API on an Agg canvas (no pyplot, no global state), the
default style (a user's matplotlibrc does not apply), a fixed size and dpi, and PNG metadata
without the software version, so the same input gives the same bytes on the same matplotlib.
"""

from __future__ import annotations

import io
from typing import Any

from rustybt.benchmarking.reportmodel import BenchmarkReport, format_seconds

__all__ = ["CHART_DPI", "speedup_waterfall", "time_per_configuration"]

#: Resolution of every chart.
CHART_DPI = 100
_COLOURS = {"baseline": "#8c8c8c", "accepted": "#2e7d32", "rejected": "#c62828"}
_OTHER = "#1f77b4"
_WIDTH = 8.0


def _figure(height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(_WIDTH, height), dpi=CHART_DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=CHART_DPI, metadata={"Software": None})
    return buf.getvalue()


def _unit(seconds: float) -> tuple[str, float]:
    if seconds >= 1.0:
        return "s", 1.0
    if seconds >= 1e-3:
        return "ms", 1e3
    return "µs", 1e6


def time_per_configuration(report: BenchmarkReport) -> bytes:
    """Horizontal bars of each configuration's mean time with 95% CI bars, as PNG bytes."""
    import matplotlib.style

    configs = report.configurations
    unit, scale = _unit(max(c.results.mean for c in configs))
    with matplotlib.style.context("default"):
        fig = _figure(1.4 + 0.5 * len(configs))
        ax = fig.add_subplot()
        ys = list(range(len(configs)))
        means = [c.results.mean * scale for c in configs]
        cis = [c.ci for c in configs]
        err = [[m - lo * scale for m, (lo, _) in zip(means, cis, strict=True)],
               [hi * scale - m for m, (_, hi) in zip(means, cis, strict=True)]]
        colours = [_COLOURS.get(c.status, _OTHER) for c in configs]
        ax.barh(ys, means, xerr=err, color=colours, height=0.6, capsize=4,
                error_kw={"ecolor": "black", "elinewidth": 1})
        ax.set_yticks(ys, [f"{c.label} ({c.status})" if c.status != "baseline" else c.label
                           for c in configs])
        ax.invert_yaxis()  # baseline on top
        right = max(hi * scale for _, hi in cis)
        for y, c, (_, hi) in zip(ys, configs, cis, strict=True):
            ax.text(hi * scale, y, f"  {format_seconds(c.results.mean)} (n={c.results.n})",
                    va="center", ha="left", fontsize=8)
        ax.set_xlim(0, right * 1.35)
        ax.set_xlabel(f"mean wall time ({unit}), 95% CI of the mean")
        ax.set_title(f"{report.title}: time per configuration", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        return _png(fig)


def speedup_waterfall(report: BenchmarkReport) -> bytes:
    """The multiplicative waterfall of the chain's time ratios, as PNG bytes."""
    import matplotlib.style

    steps = report.waterfall
    total = report.total_ratio
    labels = ["baseline", *(f"{s.name}\n[{s.layer}]" for s in steps), "total"]
    top = max([1.0, *(s.before * s.high for s in steps), *(s.before for s in steps)])
    with matplotlib.style.context("default"):
        fig = _figure(4.6)
        ax = fig.add_subplot()
        xs = list(range(len(labels)))
        ax.bar(0, 1.0, color=_COLOURS["baseline"], width=0.6)
        ax.text(0, 1.0, "1.000", ha="center", va="bottom", fontsize=8)
        for x, s in enumerate(steps, start=1):
            faster = s.after <= s.before
            ax.bar(x, s.after - s.before, bottom=s.before, width=0.6,
                   color=_COLOURS["accepted" if faster else "rejected"])
            ax.errorbar(x, s.after, yerr=[[s.after - s.before * s.low],
                                          [s.before * s.high - s.after]],
                        fmt="none", ecolor="black", elinewidth=1, capsize=4)
            ax.plot([x - 1.3, x + 0.3], [s.before, s.before], color="black", lw=0.6,
                    ls=":")
            ax.text(x, max(s.before, s.before * s.high), f"×{s.ratio:.3f}\n→ {s.after:.3f}",
                    ha="center", va="bottom", fontsize=8)
        last = len(labels) - 1
        ax.bar(last, total, width=0.6, color=_OTHER)
        ax.text(last, total, f"{total:.3f}\n({1 / total:.2f}× faster)", ha="center",
                va="bottom", fontsize=8)
        layers = report.layer_ratios
        for x, s in enumerate(steps, start=1):
            if x == 1 or steps[x - 2].layer != s.layer:
                if x > 1:
                    ax.axvline(x - 0.5, color="grey", ls="--", lw=0.8)
                ax.text(x - 0.45, top * 1.32, f"{s.layer}: ×{layers[s.layer]:.3f}",
                        ha="left", va="top", fontsize=8, color="dimgrey")
        if not steps:
            ax.text(0.5 * last, 0.5, "no step in the chain", ha="center", fontsize=9)
        ax.set_xticks(xs, labels, fontsize=8)
        ax.set_ylim(0, top * 1.4)
        ax.set_ylabel("time relative to the baseline")
        ax.set_title(f"{report.title}: cumulative time ratio (product of the steps)",
                     fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        return _png(fig)
