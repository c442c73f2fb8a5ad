"""A/B benchmark: ``benchmarks/history.py`` of two source trees, alternated in one run.

Runs each tree's own ``benchmarks/history.py --no-zipline --json`` (which imports rustybt
from its own tree) as a subprocess, alternating A, B, A, B ... so that machine load drifts
over both alike, then prints per case the median over rounds of each tree's figure and
B / A. Typical use, before/after a refactor (the base commit checked out in a worktree):

    git worktree add --detach /tmp/base main
    .venv/bin/python benchmarks/compare_trees.py /tmp/base . --rounds 3 --quick

Extra arguments after ``--`` go to history.py (e.g. ``-- --no-minute``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path


def _run(tree: Path, out: Path, extra: Sequence[str]) -> dict[str, float]:
    cmd = [sys.executable, str(tree / "benchmarks" / "history.py"), "--no-zipline",
           "--json", str(out), *extra]
    subprocess.run(cmd, check=True, cwd=tree, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(tree)})
    rows = json.loads(out.read_text())["rows"]
    return {r["case"]: float(r["rustybt"]) for r in rows if not r["case"].startswith("cache")}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a", type=Path, help="tree A (before)")
    ap.add_argument("b", type=Path, help="tree B (after)")
    ap.add_argument("--rounds", type=int, default=3, help="A/B pairs (default 3)")
    ap.add_argument("--quick", action="store_true", help="pass --quick to history.py")
    ap.add_argument("--markdown", type=Path, default=None, help="also write a Markdown table")
    args, extra = ap.parse_known_args(argv)
    extra = [x for x in extra if x != "--"] + (["--quick"] if args.quick else [])
    results: dict[str, list[dict[str, float]]] = {"a": [], "b": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            for label, tree in (("a", args.a), ("b", args.b)):
                print(f"round {i + 1}/{args.rounds}: {label} = {tree}", file=sys.stderr,
                      flush=True)
                results[label].append(_run(tree.resolve(), Path(tmp) / f"{label}{i}.json", extra))
    cases = [c for c in results["a"][0] if all(c in r for r in results["a"] + results["b"])]
    lines = ["| case | A (before) | B (after) | B / A |", "|---|---:|---:|---:|"]
    for case in cases:
        a = statistics.median(r[case] for r in results["a"])
        b = statistics.median(r[case] for r in results["b"])
        unit = "ms" if "(ms" in case else "µs"
        lines.append(f"| {case} | {a:,.2f} {unit} | {b:,.2f} {unit} | {b / a:.2f} |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.markdown:
        args.markdown.write_text(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
