"""The tables of benchmarks/backtest.py's report (:mod:`rustybt.benchmarking.tables`).

One function per part of the report, each given what was measured: ``engines`` (one table per
workload: each engine's first and repeated backtest in a fresh process), ``transactions`` (the
identical-transactions check: its verdicts go into the report's ``data`` and decide the
script's exit status), ``overhead`` (framework : strategy and time per bar) and ``profile``
(the cProfile table of rustybt's 'array' run). Cells are formatted here; rows keep the raw
numbers (and extra keys, the JSON's).
"""

from __future__ import annotations

from typing import Any

from rustybt.benchmarking.tables import Column, ScriptReport

__all__ = ["ENGINE_COLUMNS", "PROFILE_COLUMNS", "engines_table", "overhead_text",
           "profile_table", "transactions_text"]


def _times(value: float, _row: Any = None) -> str:
    return f"{value:.1f}x"


ENGINE_COLUMNS = [
    Column("engine", "engine", width=22),
    Column("wall", "first s", "{value:.3f}", "right"),
    Column("cpu", "cpu s", "{value:.3f}", "right"),
    Column("warm", "again s", "{value:.3f}", "right"),
    Column("warm_history", "history s (again)", "{value:.3f}", "right"),
    Column("strategy", "strategy s", "{value:.4f}", "right"),
    Column("rss_mb", "peak RSS MiB", "{value:.0f}", "right"),
    Column("vs_zipline", "vs zipline", _times, "right"),
    Column("again_vs_zipline", "again vs zipline", _times, "right"),
]
PROFILE_COLUMNS = [
    Column("function", "function", lambda v, _: f"`{v}`"),
    Column("location", "location", lambda v, _: f"`{v}`"),
    Column("calls", "calls", align="right"),
    Column("own_s", "own s", "{value:.3f}", "right"),
    Column("own_share", "own %", "{value:.1%}", "right"),
    Column("cumulative_s", "cumulative s", "{value:.3f}", "right"),
]
ENGINES_NOTE = ("first: the first backtest in a fresh process (wall and CPU seconds); again: "
                "the same backtest run again in that process (an optimizer's trials); history "
                "s: inside `data.history` in the again run; strategy s: the strategy's own "
                "arithmetic in the first run; peak RSS: the process's peak resident memory "
                "from the start of its first backtest (what the imports and the opened data "
                "hold, plus the runs' peak; writing zipline's world is not in it); ratios are "
                "zipline / rustybt.")


def engines_table(report: ScriptReport, name: str, title: str,
                  rows: dict[str, dict[str, Any]], baseline: str | None) -> None:
    """One workload's engines side by side (``baseline``: the engine the ratios divide)."""
    base = rows.get(baseline) if baseline is not None else None
    table = report.table(name, ENGINE_COLUMNS, title=title, note=ENGINES_NOTE)
    for engine, r in rows.items():
        extra = {k: v for k, v in r.items() if k not in ("transactions", "profile")}
        table.add(**{**extra, "engine": engine,
                     "vs_zipline": None if base is None else base["wall"] / r["wall"],
                     "again_vs_zipline": None if base is None else base["warm"] / r["warm"]})


def transactions_text(report: ScriptReport, workload: str,
                      rows: dict[str, dict[str, Any]]) -> bool:
    """Whether every engine made the transactions of rustybt (array); said in the report
    (``data['identical_transactions'][workload]``) and, for a difference, its first one."""
    ref = rows["rustybt (array)"]["transactions"]
    same = {engine: r["transactions"] == ref for engine, r in rows.items()}
    report.data.setdefault("identical_transactions", {})[workload] = same
    words = ", ".join(f"{engine} {'yes' if ok else 'NO'}" for engine, ok in same.items())
    text = (f"Identical transactions ({workload}: session or minute, sid, amount, price, "
            f"against rustybt (array), {len(ref)} of them): {words}.")
    for engine, ok in same.items():
        if not ok:
            text += f" {engine}: {_first_difference(ref, rows[engine]['transactions'])}."
    report.text(text)
    return all(same.values())


def _first_difference(ref: list[Any], other: list[Any]) -> str:
    for i, (a, b) in enumerate(zip(ref, other, strict=False)):
        if list(a) != list(b):
            return f"transaction {i} is {list(b)}, rustybt (array) made {list(a)}"
    return f"{len(other)} transactions, rustybt (array) made {len(ref)}"


def overhead_text(report: ScriptReport, arr: dict[str, Any], unit: str, count: int) -> None:
    """Time per session or minute bar of rustybt (array); on daily bars also framework :
    strategy (the PRD's overhead : computation, 74 : 1 in its baseline, target < 5 : 1)."""
    per = (f"per {unit}: {arr['wall'] / count * 1e6:,.0f} µs first run, "
           f"{arr['warm'] / count * 1e6:,.0f} µs again.")
    if unit == "minute bar":
        report.text(f"rustybt (array) {per}")
        return
    framework = arr["wall"] - arr["strategy"]
    ratio = framework / max(arr["strategy"], 1e-9)
    report.data["framework_to_strategy"] = ratio
    report.text(f"rustybt (array): framework : strategy = {ratio:.0f} : 1 (the strategy's "
                f"arithmetic {arr['strategy'] * 1e3:.1f} ms of {arr['wall']:.3f} s); {per}")


def profile_table(report: ScriptReport, profile: dict[str, Any], top: int) -> None:
    """The cProfile of rustybt (array)'s first run: its ``top`` functions by own time."""
    table = report.table("profile", PROFILE_COLUMNS,
                         title=f"cProfile of rustybt (array), top {top} by own time", note=(
                             f"Where the framework's time goes: {profile['total_s']:.3f} s under "
                             "cProfile (a separate fresh process; the profiler slows it); own "
                             "%: of that total."))
    for row in profile["functions"][:top]:
        table.add(**row)
