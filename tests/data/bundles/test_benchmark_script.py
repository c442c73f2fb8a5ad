"""benchmarks/ingest.py --quick runs end to end and prints its table (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "ingest.py"


def test_quick_benchmark_prints_the_table():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("baseline RSS")
    assert "RSS/data" in lines[1]
    rows = [ln for ln in lines if ln.startswith(("daily ", "minute "))]
    assert len(rows) == 2 and all(len(r.split()) >= 10 for r in rows)
