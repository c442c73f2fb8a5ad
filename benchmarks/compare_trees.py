"""A/B benchmark: ``benchmarks/history.py`` of two source trees, alternated in one run.

Runs each tree's own ``benchmarks/history.py --no-zipline --json`` (which imports rustybt
from its own tree) as a subprocess, alternating A, B, A, B ... so that machine load drifts
over both alike, then prints per case the median over rounds of each tree's figure and
B / A. Typical use, before/after a refactor (the base commit checked out in a worktree):

    git worktree add --detach /tmp/base main
    .venv/bin/python benchmarks/compare_trees.py /tmp/base . --rounds 3 --quick

Extra arguments after ``--`` go to history.py (e.g. ``-- --no-minute``).

``--micro`` times the hot calls instead (one shared synthetic bundle, ingested once): each
round runs a short script under each tree that reports, per case, the *minimum* over many
short repeats of the mean per-call time (the minimum is what load on a shared machine
disturbs least); the table shows the minimum over rounds:

    .venv/bin/python benchmarks/compare_trees.py /tmp/base . --micro --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path


def _run(tree: Path, out: Path, extra: Sequence[str]) -> dict[str, float]:
    cmd = [sys.executable, str(tree / "benchmarks" / "history.py"), "--no-zipline",
           "--json", str(out), *extra]
    subprocess.run(cmd, check=True, cwd=tree, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(tree)})
    rows = json.loads(out.read_text())["rows"]
    return {r["case"]: float(r["rustybt"]) for r in rows if not r["case"].startswith("cache")}


_MICRO = textwrap.dedent("""
    import json, sys, timeit, warnings
    warnings.simplefilter("ignore")
    import pandas as pd
    from rustybt import ArrowDataPortal
    from rustybt.data.bundles import Bundle
    p = ArrowDataPortal(Bundle(sys.argv[1]))
    m = ArrowDataPortal(Bundle(sys.argv[2]))
    m.store("minute")
    s = p.sessions
    f = p.asset_finder
    one = f.retrieve_asset(0)
    ten = [f.retrieve_asset(i) for i in range(10)]
    end = s[300]
    mend = pd.Timestamp(int(m.calendar_index.minutes[-500]), tz="UTC")
    cases = {
        "array 1 asset close n=20": lambda: p.history(one, "close", 20, end_dt=end,
                                                      return_type="array"),
        "array 10 assets close n=20": lambda: p.history(ten, "close", 20, end_dt=end,
                                                        return_type="array"),
        "dataframe 10 assets close n=20": lambda: p.history(ten, "close", 20, end_dt=end),
        "series 1 asset close n=20 (general path)": lambda: p.history(one, "close", 20,
                                                                      end_dt=end),
        "array 10 assets price n=50 (adjusted)": lambda: p.history(ten, "price", 50,
                                                                   end_dt=end,
                                                                   return_type="array"),
        "array 10 assets 2 fields n=20 (general path)": lambda: p.history(
            ten, ["close", "volume"], 20, end_dt=end, return_type="array"),
        "minute: array 1 asset close n=60": lambda: m.history(0, "close", 60, "1m",
                                                              end_dt=mend,
                                                              return_type="array"),
        "spot close": lambda: p.get_spot_value(one, "close", end, "daily"),
        "spot price": lambda: p.get_spot_value(one, "price", end, "daily"),
    }
    out = {}
    for name, fn in cases.items():
        fn()
        n = 200
        out[name] = min(timeit.repeat(fn, number=n, repeat=int(sys.argv[3]))) / n * 1e6
    print(json.dumps(out))
""")


def _micro_bundles(root: Path) -> tuple[str, str]:
    """Ingest the shared daily (50 assets x 2 years) and minute (10 x 20 sessions) bundles."""
    script = textwrap.dedent("""
        import sys, warnings
        warnings.simplefilter("ignore")
        from pathlib import Path
        from rustybt import ingest, register
        from rustybt.data.bundles.sources.synthetic import synthetic_ingest
        root = Path(sys.argv[1])
        register("ab_daily", synthetic_ingest(n_assets=50, years=2.0))
        register("ab_minute", synthetic_ingest(n_assets=10, years=20 / 252, minute=True))
        print(ingest("ab_daily", root=root).path, ingest("ab_minute", root=root).path)
    """)
    out = subprocess.run([sys.executable, "-c", script, str(root)], check=True,
                         capture_output=True, text=True, cwd=root).stdout.split()
    return out[0], out[1]


def _micro(tree: Path, daily: str, minute: str, repeats: int) -> dict[str, float]:
    res = subprocess.run([sys.executable, "-c", _MICRO, daily, minute, str(repeats)],
                         check=True, capture_output=True, text=True, cwd=tree,
                         env={**os.environ, "PYTHONPATH": str(tree)})
    return {k: float(v) for k, v in json.loads(res.stdout.splitlines()[-1]).items()}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a", type=Path, help="tree A (before)")
    ap.add_argument("b", type=Path, help="tree B (after)")
    ap.add_argument("--rounds", type=int, default=3, help="A/B pairs (default 3)")
    ap.add_argument("--quick", action="store_true", help="pass --quick to history.py")
    ap.add_argument("--micro", action="store_true", help="time the hot calls (see above)")
    ap.add_argument("--repeats", type=int, default=40, help="--micro: repeats per case")
    ap.add_argument("--markdown", type=Path, default=None, help="also write a Markdown table")
    args, extra = ap.parse_known_args(argv)
    extra = [x for x in extra if x != "--"] + (["--quick"] if args.quick else [])
    results: dict[str, list[dict[str, float]]] = {"a": [], "b": []}
    pick = min if args.micro else statistics.median
    with tempfile.TemporaryDirectory() as tmp:
        if args.micro:
            daily, minute = _micro_bundles(Path(tmp))
        for i in range(args.rounds):
            for label, tree in (("a", args.a), ("b", args.b)):
                print(f"round {i + 1}/{args.rounds}: {label} = {tree}", file=sys.stderr,
                      flush=True)
                if args.micro:
                    results[label].append(_micro(tree.resolve(), daily, minute, args.repeats))
                else:
                    results[label].append(
                        _run(tree.resolve(), Path(tmp) / f"{label}{i}.json", extra))
    cases = [c for c in results["a"][0] if all(c in r for r in results["a"] + results["b"])]
    lines = ["| case | A (before) | B (after) | B / A |", "|---|---:|---:|---:|"]
    for case in cases:
        a = pick(r[case] for r in results["a"])
        b = pick(r[case] for r in results["b"])
        unit = "ms" if "(ms" in case else "µs"
        lines.append(f"| {case} | {a:,.2f} {unit} | {b:,.2f} {unit} | {b / a:.2f} |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.markdown:
        args.markdown.write_text(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
