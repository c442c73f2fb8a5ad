"""The tables of benchmarks/optimization.py's report (:mod:`rustybt.benchmarking.tables`).

One function per part of the report, each given what was measured: ``engine`` (the grid's
runs), ``checks`` (its ratios against the issue's targets and the per-trial overhead),
``rivals`` (zipline-reloaded, backtrader, vectorbt: only those that ran) and the columns of the
function workload's table. Cells are formatted here; the rows keep the raw numbers (and extra
keys: the JSON's), a NaN becomes None (shown as a dash; the JSON refuses NaN). The text
paragraphs say what the tables cannot: extrapolations and the equivalence checks.
"""

from __future__ import annotations

from typing import Any

from rustybt.benchmarking.tables import Column, ScriptReport

__all__ = ["FUNCTION_COLUMNS", "bayes_text", "checks_table", "engine_table", "rivals_table"]


def _times(value: float, _row: Any = None) -> str:
    return f"{value:.1f}x" if value >= 1 else f"{value:.2f}x"


def _seconds(value: float) -> str:
    """Seconds with 3-4 significant digits (``1,056``, ``109.5``, ``0.64``)."""
    return f"{value:,.0f}" if value >= 1000 else f"{value:.1f}" if value >= 10 else \
        f"{value:.2f}"


def _faster(value: float, _row: Any = None) -> str:
    """A ratio of their time to rustybt's as words: ``12.3x faster`` or ``28x slower``."""
    return f"{value:.1f}x faster" if value >= 1 else f"{1 / value:.0f}x slower"


def _quantity(value: float, row: dict[str, Any]) -> str:
    unit = row["unit"]
    if unit == "x":
        return _times(value)
    if unit == "%":
        return f"{value:.1%}"
    if unit == "ms":
        return f"{value:,.0f} ms"
    return f"{value:,.1f} {unit}"


ENGINE_COLUMNS = [
    Column("run", "run", width=21),
    Column("trials", "trials", "{value:,}", "right"),
    Column("wall_s", "wall s", "{value:,.2f}", "right", width=8),
    Column("per100_s", "s per 100 trials", lambda v, _: _seconds(v), "right"),
    Column("trial_s", "mean trial s", "{value:.3f}", "right"),
    Column("hit_rate", "cache hit rate", "{value:.1%}", "right"),
    Column("ready_s", "worker ready s", "{value:.2f}", "right"),
    Column("setup_s", "setup s", "{value:.2f}", "right"),
    Column("best", "best short/long", lambda v, _: f"{v['short']}/{v['long']}"),
]
CHECK_COLUMNS = [
    Column("check", "check", width=62),
    Column("value", "value", _quantity, "right", width=9),
    Column("target", "target", missing=""),
    Column("met", "met", lambda v, _: "yes" if v else "no", missing=""),
]
RIVAL_COLUMNS = [
    Column("framework", "framework", width=16),
    Column("how", "how", width=46),
    Column("per100_s", "s per 100 trials", lambda v, _: _seconds(v), "right"),
    Column("vs_pool", "rustybt, 2 workers", _faster, "right"),
    Column("vs_serial", "rustybt, serial", _faster, "right", missing=""),
    Column("target", "target (2 workers)", missing=""),
]
FUNCTION_COLUMNS = [
    Column("years", "years", "{value}", "right"),
    Column("naive_s", "naive per-call filtering s", "{value:.3f}", "right"),
    Column("grouped_s", "pre-grouped arrays s", "{value:.3f}", "right"),
    Column("ratio", "naive / pre-grouped", _times, "right"),
]


def _finite(value: float) -> float | None:
    """``value``, or None when it is NaN (no figure: the JSON refuses NaN)."""
    return None if value != value else float(value)


def engine_table(report: ScriptReport, rows: dict[str, Any], title: str) -> dict[str, float]:
    """The engine grid's runs as a table and its notes; the seconds per 100 trials by run."""
    full = rows["processes x2"]
    per100 = {label: row["wall"] / row["trials"] * 100 for label, row in rows.items()}
    table = report.table("engine", ENGINE_COLUMNS, title=title, note=(
        "Every OptimizationConfig flag on unless the run says off; worker ready: the slowest "
        "worker's start (setup: its `AlgorithmWorkload.setup()`); best: the best Sharpe "
        "ratio's parameters among the trials run."))
    for label, row in rows.items():
        table.add(run=f"rustybt {label}", trials=row["trials"], wall_s=row["wall"],
                  per100_s=per100[label], trial_s=row["trial_s"],
                  hit_rate=_finite(row["hit_rate"]), ready_s=row["boot"],
                  setup_s=row["setup"], best=row["best"],
                  extrapolated=row["trials"] != full["trials"], ray_init_s=row.get("init"))
    sampled = [f"{label} ({row['trials']} trials)" for label, row in rows.items()
               if row["trials"] != full["trials"]]
    if sampled:
        report.text(f"s per 100 trials: wall time / trials × 100, extrapolated from fewer "
                    f"trials than the process pool's {full['trials']} for "
                    f"{', '.join(sampled)}.")
    if "ray x2" in rows:
        report.text(f"ray x2: ray.init {rows['ray x2']['init']:.1f} s is not counted in its "
                    "wall time.")
    report.text("Identical per-trial metrics on every backend and with every flag off: yes.")
    return per100


def checks_table(report: ScriptReport, rows: dict[str, Any], per100: dict[str, float],
                 over: dict[str, float]) -> None:
    """The grid's ratios against the issue's targets, and the per-trial overhead."""
    full = rows["processes x2"]
    table = report.table("checks", CHECK_COLUMNS, title="The grid against its targets")
    ratio = per100["flags off x2"] / per100["processes x2"]
    table.add(check="every flag on vs every flag off (2 workers)", value=ratio, unit="x",
              target="≥ 20x", met=ratio >= 20)
    if "ray x2" in rows:
        table.add(check="Ray (2 actors) / process pool (2 workers), wall time per trial",
                  value=per100["ray x2"] / per100["processes x2"], unit="x", target=None,
                  met=None)
    hit = _finite(full["hit_rate"])
    table.add(check="HistoryCache hit rate of the study (mean over trials)", value=hit,
              unit="%", target="> 60 %", met=None if hit is None else hit > 0.6)
    table.add(check="100 trials on 2 workers", value=per100["processes x2"], unit="s",
              target="≤ 10 s", met=per100["processes x2"] <= 10)
    table.add(check="per-trial CPU time: AlgorithmWorkload.run", value=over["trial"] * 1e3,
              unit="ms", target=None, met=None)
    table.add(check="per-trial CPU time: bare run_algorithm on the same portal",
              value=over["bare"] * 1e3, unit="ms", target=None, met=None)
    table.add(check="process pool wall time", value=full["wall"], unit="s", target=None,
              met=None)
    table.add(check="mean trial time × trials / 2 workers",
              value=full["trial_s"] * full["trials"] / 2, unit="s", target=None, met=None)
    report.text(f"AlgorithmWorkload.run costs {(over['trial'] - over['bare']) * 1e3:+.0f} ms "
                "of CPU time per trial over a bare run_algorithm (version check, hooks, "
                "metrics summary); 100 trials on 2 workers take "
                f"{per100['processes x2'] / 10:.1f}x the 10 s target.")


def bayes_text(report: ScriptReport, bayes: dict[str, Any], full: dict[str, Any]) -> None:
    reached = bayes["reached"]
    grid_best = full["frame"]["sharpe"].max()
    if reached:
        report.text(f"Bayesian + Hyperband (2 workers): the grid's best Sharpe ratio reached "
                    f"after {reached['seconds']:.1f} s, {reached['trials']} trials "
                    f"({reached['period_runs']:.1f} full-period runs) at {reached['params']}; "
                    f"the grid: {full['wall']:.1f} s, {full['trials']} trials.")
    else:
        report.text(f"Bayesian + Hyperband (2 workers): the grid's best not reached in "
                    f"{bayes['trials']} trials ({bayes['wall']:.1f} s, {bayes['pruned']} "
                    f"pruned, best {bayes['best']:.4f} vs the grid's {grid_best:.4f}).")
    report.data["bayes"] = {**{k: v for k, v in bayes.items() if k != "best"},
                            "best": _finite(bayes["best"]),
                            "grid_best": _finite(float(grid_best))}


def rivals_table(report: ScriptReport, per100: dict[str, float], zl: float | None,
                 samples: int, bt: dict[str, Any] | None, vb: dict[str, Any] | None) -> None:
    """zipline-reloaded, backtrader and vectorbt against rustybt's process pool."""
    if zl is None and bt is None and vb is None:
        return
    table = report.table("rivals", RIVAL_COLUMNS, title="Other frameworks on the same grid",
                         note="s per 100 trials, and how much faster or slower rustybt is.")
    pool, serial = per100["processes x2"], per100["serial"]
    if zl is not None:
        table.add(framework="zipline-reloaded",
                  how=f"serial (no optimizer), mean of {samples} grid point(s)",
                  per100_s=zl * 100, vs_pool=zl * 100 / pool, vs_serial=zl * 100 / serial,
                  target="≥ 75x", trial_s=zl, samples=samples, extrapolated=True)
    if bt is not None:
        bt100 = bt["wall"] / bt["trials"] * 100
        table.add(framework="backtrader", how=f"optstrategy, maxcpus=2, {bt['trials']} pairs",
                  per100_s=bt100, vs_pool=bt100 / pool, vs_serial=None, target="≥ 30x",
                  wall_s=bt["wall"], trials=bt["trials"], extrapolated=True)
    if vb is not None:
        table.add(framework="vectorbt", how="vectorized, 100 pairs at once, warm call",
                  per100_s=vb["warm"], vs_pool=vb["warm"] / pool, vs_serial=None, target=None,
                  import_s=vb["import"], first_s=vb["first"], best=vb["best"],
                  extrapolated=False)
    if zl is not None:
        report.text(f"zipline-reloaded: {zl:.2f} s per trial, the mean of {samples} sampled "
                    "grid point(s) after a warm-up run; 100 trials extrapolated (zipline has no "
                    "optimizer: serial).")
    if bt is not None:
        report.text(f"backtrader: {bt['wall']:.1f} s for {bt['trials']} pairs, extrapolated "
                    "to 100.")
    if vb is not None:
        report.text(f"vectorbt: import {vb['import']:.1f} s, first call {vb['first']:.1f} s "
                    f"(numba), warm {vb['warm']:.2f} s; best {vb['best']}.")
