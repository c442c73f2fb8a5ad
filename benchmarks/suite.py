"""The production-scale benchmark suite: every workload of benchmarks/ in one run (``make bench``).

It runs each benchmark script in its own process with its own CLI flags (the scripts stay the
place where a workload is defined; this file only runs them and renders what they report),
adds the initialisation benchmarks of ``_initbench.py`` (batch initialisation with bundles of
10/100/500 assets, worker initialisation with the optimization flags off and on), and writes
every table into docs/performance/characteristics.md between its ``BENCHMARK:suite.<name>``
markers (:func:`rustybt.benchmarking.update_between_markers`), with the machine, the date and
the command. No figure on that page is typed by hand. Each section's wall and CPU seconds
(this process and its finished children: ``getrusage``) are printed and recorded in the
environment section.

``--quick`` runs small sizes and leaves to the full run what costs more to start than to
measure: Ray, backtrader and vectorbt (optimization) and the 500-asset rebalance (backtest);
the page says so where they would be. backtest.py writes each zipline world (bcolz) once per
bundle version into a cache folder of the scratch directory (its ``--zipline-cache``), which
all its zipline processes open.

    .venv/bin/python benchmarks/suite.py --quick     # < 5 minutes on 2 cores (see below)
    .venv/bin/python benchmarks/suite.py             # the production sizes (long)
    .venv/bin/python benchmarks/suite.py --only history --only batch-init

Adapters: every benchmark script has the output harness's flags
(:mod:`rustybt.benchmarking.tables`): history, ingest, sql, compat, backtest and optimization
write their own Markdown (``--markdown``), which the section is, verbatim (history adds a table
of its ``--json``'s HistoryCache verdicts); gate's ``--json`` and the initialisation benchmarks
are rendered here (:func:`table`). A section whose command fails is written as *not
measured in this run* with the error, and the suite exits 1: a stale figure never stays on the
page looking current.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from rustybt.benchmarking.docfigures import update_between_markers  # noqa: E402

DOC = REPO / "docs" / "performance" / "characteristics.md"
BATCH_ASSETS = (10, 100, 500)
#: The order of the sequential evaluation (``decisions`` section): by the effect each flag had
#: on the engine grid in earlier runs, largest first, so the stop rule (two rejections in a row)
#: ends the sequence where the flags left are the ones expected to help least.
#: persistent_workers first: with it off, the process pool starts a fresh interpreter per trial
#: (~3 s of imports and setup), which hid every other layer (the first production run took
#: bundle_pooling and history_cache first: -1 % each, and the sequence stopped). Then
#: array_returns and lean_results (1.19x and 1.12x in the quick run), then bundle_pooling and
#: history_cache (+3 % and -1.5 % with persistent workers, production sizes); the Layer 1
#: flags act on function workloads, not on this grid, and come last.
DECISION_ORDER = ("persistent_workers", "array_returns", "lean_results", "bundle_pooling",
                  "history_cache", "asset_caching", "pre_grouping")


class SectionFailed(RuntimeError):
    """A benchmark command of a section failed; the message names it and its error."""


def run_script(script: str, args: Sequence[str],
               timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``benchmarks/<script>`` with this interpreter; raise SectionFailed on an error."""
    cmd = [sys.executable, str(HERE / script), *args]
    print(f"$ {' '.join(cmd[1:])}", flush=True)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired as exc:
        raise SectionFailed(f"`{script} {' '.join(args)}` ran past {timeout:.0f} s") from exc
    if proc.returncode:
        raise SectionFailed(f"`{script} {' '.join(args)}` exited {proc.returncode}:\n"
                            f"{proc.stderr.strip()[-1500:]}")
    return proc


# -- rendering ----------------------------------------------------------------------------
def fmt(value: Any) -> str:
    """A cell: numbers with 3-4 significant digits, None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    mag = abs(value)
    if mag >= 100:
        return f"{value:,.0f}"
    if mag >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None,
          headers: Sequence[str] | None = None) -> str:
    """Rows of dicts as a Markdown table (``columns``: the keys, in order)."""
    if not rows:
        return "(no rows)"
    cols = list(columns or [k for k in rows[0] if not isinstance(rows[0][k], list | dict)])
    head = list(headers or cols)
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(fmt(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(out)


def cache_verdicts(history: dict[str, Any]) -> str:
    """The HistoryCache verdicts of history.py's ``--json`` report (its ``data.cache``)."""
    cache = history["data"]["cache"]
    return ("HistoryCache on repeated windows (an optimizer re-running the same dates) and on "
            "a single pass (every lookup misses):\n\n"
            + table([{"case": k, "gain": v["gain"], "beats 5 %": v["beats_5pct"],
                      "single pass overhead": v["single_pass_overhead"]}
                     for k, v in cache.items()]))


def stamp(command: str, seconds: float | None = None) -> str:
    """The line every section starts with: when, by what and (``seconds``) how long."""
    took = "" if seconds is None else f" in {seconds:.0f} s"
    return f"_Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `{command}`{took}._"


# -- sections -----------------------------------------------------------------------------
class Suite:
    """One run: its options, scratch directory and the command line it shows."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args, self.work, self.quick = args, work, args.quick
        #: fresh processes per measurement of the init sections (their median)
        self.repeats = 1 if args.quick else 3
        self.command = " ".join([".venv/bin/python benchmarks/suite.py", *args.argv])
        #: zipline worlds, one per bundle version (backtest.py's ``--zipline-cache``)
        self.zipline_cache = work / "zipline-worlds"

    def flags(self, *extra: str, zipline: str | None = "--no-zipline") -> list[str]:
        out = ["--quick"] if self.quick else []
        if self.args.no_zipline and zipline:
            out.append(zipline)
        return [*out, *extra]

    def markdown(self, script: str, args: Sequence[str], timeout: float = 1800) -> str:
        """Run a script of the output harness with ``--markdown``; that Markdown."""
        md = self.work / f"{Path(script).stem}.md"
        run_script(script, [*args, "--markdown", str(md)], timeout)
        return md.read_text().strip()

    def history(self) -> str:
        js = self.work / "history.json"
        body = self.markdown("history.py", self.flags("--json", str(js), "--root",
                                                      str(self.work / "history")))
        return body + "\n\n" + cache_verdicts(json.loads(js.read_text()))

    def batch_init(self) -> str:
        years = 1.0 if self.quick else 10.0
        rows = []
        for n in BATCH_ASSETS:
            root = self.work / f"batch-{n}"
            kw = {"root": str(root), "name": f"batch{n}"}
            first = child("batch", {**kw, "n_assets": n, "years": years})
            again = [child("reopen", kw) for _ in range(self.repeats)]
            rows.append({
                "assets": n, "ingest s": first["ingest"], "open s": first["open"],
                "first history s (builds the store)": first["first_history"],
                "total s": first["ingest"] + first["open"] + first["first_history"],
                "peak RSS MiB": first["rss_mib"],
                "later process: open + first history s": statistics.median(
                    a["open"] + a["first_history"] for a in again),
                "later process: imports s": statistics.median(a["imports"] for a in again)})
            shutil.rmtree(root, ignore_errors=True)
        return (f"Synthetic daily bundles of {years:g} year(s); each step in a fresh process; "
                f"later process: median of {self.repeats} fresh process(es) opening the "
                "ingested bundle.\n\n"
                + table(rows))

    def worker_init(self) -> str:
        from _initbench import WORKER_ASSETS

        years = 1.5 if self.quick else 3.0  # data ends 2024-12-31; >= 60 sessions before start
        root = self.work / "worker"
        child("batch", {"root": str(root), "name": "worker", "n_assets": WORKER_ASSETS,
                        "years": years})
        span = {"start": "2024-03-01" if self.quick else "2022-06-01", "end": "2024-12-31"}
        rows = []
        metrics = set()
        for flags in ("off", "on"):
            runs = [child("worker", {"flags": flags, "root": str(root), "name": "worker",
                                     **span}) for _ in range(self.repeats)]
            metrics |= {json.dumps(r["metrics"]) for r in runs}
            rows.append({"flags": f"all {flags}", **{
                k: statistics.median(r[k] for r in runs)
                for k in ("imports", "setup", "first_trial", "second_trial", "rss_mib")}})
        if len(metrics) != 1:  # equivalence first: the flags change speed, never results
            raise SectionFailed(f"worker init: the trials' Sharpe ratios differ between runs "
                                f"or flags: {sorted(metrics)}")
        return (f"A fresh worker process: imports, `AlgorithmWorkload.setup()`, its first and "
                f"second trial (a dual moving average on {WORKER_ASSETS} assets, "
                f"{span['start']}..{span['end']}); seconds, median of {self.repeats} "
                "process(es) per row.\n\n"
                + table(rows, ["flags", "imports", "setup", "first_trial", "second_trial",
                               "rss_mib"],
                        ["OptimizationConfig", "imports s", "setup s", "first trial s",
                         "second trial s", "peak RSS MiB"]))

    def ingest(self) -> str:
        return self.markdown("ingest.py", self.flags(zipline=None))

    def sql(self) -> str:
        return self.markdown("sql.py", self.flags(zipline=None))

    def compat(self) -> str:
        if self.args.no_zipline:
            return "Not run (`--no-zipline`): this benchmark is the shim against zipline."
        return self.markdown("compat.py", self.flags(zipline=None))

    def backtest(self) -> str:
        # --quick: the 500-asset rebalance (rustybt alone) is left to the production run
        return self.markdown("backtest.py", self.flags(
            "--zipline-cache", str(self.zipline_cache),
            *(["--skip-rebalance"] if self.quick else [])), 3600)

    def optimization(self) -> str:
        if not self.quick:
            return self.markdown("optimization.py", self.flags(), 3600)
        # --quick: ray.init and the rivals' imports cost more than the rest of the section
        return ("`--quick`: Ray, backtrader and vectorbt are left to the full run "
                "(`make bench`); their rows are not measured here.\n\n"
                + self.markdown("optimization.py", self.flags("--ray-trials", "0",
                                                              "--no-rivals"), 3600))

    def decisions(self) -> str:
        """The sequential evaluation of the optimization flags, its records and charts."""
        from rustybt.benchmarking.decisions import DEFAULT_DECISIONS_DIR
        from rustybt.benchmarking.report import write_report

        size = (["--assets", "5", "--sessions", "60", "--trials", "2"] if self.quick else
                ["--assets", "10", "--sessions", "500", "--trials", "8", "--backend",
                 "processes", "--workers", "2"])
        # into the repository (a relative path: the records' regenerate command is portable)
        # when writing the real page, else into the scratch folder
        out = DEFAULT_DECISIONS_DIR if self.args.doc == DOC else self.work / "decisions"
        records = REPO / out
        cmd = [sys.executable, "-m", "rustybt", "bench", "evaluate", "--output",
               str(out), "--flags", ",".join(DECISION_ORDER), "--runs", "10", *size]
        print(f"$ {' '.join(cmd[1:])}", flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=7200)
        if proc.returncode:
            raise SectionFailed(f"`rustybt bench evaluate` exited {proc.returncode}:\n"
                                f"{proc.stderr.strip()[-1500:]}")
        charts = self.args.doc.parent / "sequential"
        files = write_report(records / "sequence.json", charts)
        rel = os.path.relpath(charts, self.args.doc.parent)
        body = files.markdown.read_text().replace("](", f"]({rel}/")
        body = body.replace("\n## ", "\n### ").replace("\n### ", "\n#### ")
        return (f"`rustybt bench evaluate` turns the flags on one at a time in the order "
                f"{', '.join(DECISION_ORDER)} (by the effect each had on this grid in earlier "
                "runs, largest first: a fresh worker process per trial costs seconds and "
                "would hide the others; the Layer 1 flags act on function workloads and come "
                "last), each kept only if "
                "its trial results are identical to the all-off run's and it is at least 5 % "
                "faster with p < 0.05; it stops after two rejections in a row. One decision "
                f"record per flag: [{DEFAULT_DECISIONS_DIR}]"
                f"({os.path.relpath(REPO / DEFAULT_DECISIONS_DIR, self.args.doc.parent)}/).\n\n"
                + body)

    def gate(self) -> str:
        js = self.work / "gate.json"
        run_script("gate.py", ["--json", str(js)], 600)
        data = json.loads(js.read_text())
        return (f"The CI regression gate's checks ({data['pairs']} interleaved pairs each; "
                "speedup = median of baseline / optimized CPU time):\n\n"
                + table([{**r, "speedup": r["speedups"][-1],
                          "below": f"−{r['tolerance']:.0%}"} for r in data["checks"]],
                        ["name", "what", "speedup", "recorded", "below", "floor", "passed"],
                        ["check", "what", "speedup now", "recorded", "tolerance", "floor",
                         "ok"]))

    def environment(self, seconds: float, times: dict[str, tuple[float, float]]) -> str:
        import numpy as np
        import pandas as pd
        import pyarrow as pa

        try:
            import zipline

            zl = getattr(zipline, "__version__", "installed")
        except ImportError:
            zl = "not installed"
        cpu = platform.processor() or platform.machine()
        return "\n".join([
            stamp(self.command),
            "",
            f"- machine: {platform.platform()}, {cpu}, {_cpu_count()} CPUs, "
            f"{_mem_gib():.0f} GiB memory, load average at the end {_load():.1f}",
            f"- Python {platform.python_version()}, NumPy {np.__version__}, pandas "
            f"{pd.__version__}, pyarrow {pa.__version__}, zipline-reloaded {zl}",
            f"- mode: {'--quick (small sizes)' if self.quick else 'production sizes'}; "
            f"sections run: {', '.join(times)}; {seconds / 60:.1f} minutes in all"
            + ("" if set(times) >= set(SECTIONS) else
               " (a partial run: every other section keeps the stamp of the run that "
               "measured it, with its date, command and duration)"),
            "- seconds per section, wall / CPU (this process and its children): "
            + ", ".join(f"{name} {wall:.0f} / {cpu:.0f}" for name, (wall, cpu) in times.items()),
        ])


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1


def _mem_gib() -> float:
    import psutil

    return float(psutil.virtual_memory().total) / 2**30


def _cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and its finished children so far."""
    import resource

    own, kids = (resource.getrusage(resource.RUSAGE_SELF),
                 resource.getrusage(resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _load() -> float:
    import os

    return os.getloadavg()[0]


def child(mode: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Run one ``_initbench.py`` measurement in a fresh process."""
    proc = run_script("_initbench.py", [mode, json.dumps(kwargs)], 1800)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


SECTIONS: dict[str, Callable[[Suite], str]] = {
    "history": Suite.history,
    "batch-init": Suite.batch_init,
    "worker-init": Suite.worker_init,
    "ingest": Suite.ingest,
    "sql": Suite.sql,
    "compat": Suite.compat,
    "backtest": Suite.backtest,
    "optimization": Suite.optimization,
    "gate": Suite.gate,
    "decisions": Suite.decisions,
}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (< 5 minutes on 2 cores)")
    ap.add_argument("--only", action="append", choices=sorted(SECTIONS), default=None,
                    help="run only this section (repeatable)")
    ap.add_argument("--no-zipline", action="store_true", help="skip zipline-reloaded's side")
    ap.add_argument("--doc", type=Path, default=DOC, help="the page to write")
    ap.add_argument("--work", type=Path, default=None, help="scratch dir (default: a temp dir)")
    args = ap.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="rustybt-suite-"))
    work.mkdir(parents=True, exist_ok=True)  # a --work folder that is not there yet
    suite = Suite(args, work)
    names = args.only or list(SECTIONS)
    t0 = time.perf_counter()
    failed = []
    times: dict[str, tuple[float, float]] = {}
    for name in names:
        started, cpu0 = time.perf_counter(), _cpu_seconds()
        print(f"\n== {name}", flush=True)
        try:
            body = SECTIONS[name](suite)
        except SectionFailed as exc:
            failed.append(name)
            body = f"**Not measured in this run**: {exc}"
            print(f"FAILED {name}: {exc}", file=sys.stderr, flush=True)
        print(body, flush=True)
        took = time.perf_counter() - started
        times[name] = (took, _cpu_seconds() - cpu0)
        print(f"== {name}: {took:.1f} s wall, {times[name][1]:.1f} s CPU", flush=True)
        update_between_markers(args.doc, f"suite.{name}", f"{stamp(suite.command, took)}\n\n{body}")
    update_between_markers(args.doc, "suite.environment",
                           suite.environment(time.perf_counter() - t0, times))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nwrote {args.doc}" + (f"; FAILED sections: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
