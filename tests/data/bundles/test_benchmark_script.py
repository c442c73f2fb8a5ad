"""benchmarks/ingest.py --quick runs end to end and prints its table (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "ingest.py"


def test_quick_benchmark_prints_the_table(tmp_path: Path) -> None:
    out = tmp_path / "ingest.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out)],
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
    report = json.loads(out.read_text())
    (table,) = report["tables"]
    assert [r["case"].split()[0] for r in table["rows"]] == ["daily", "minute"]
    # each ingest adds memory over the baseline process: the children are not spawned by a
    # process whose own RSS (rustybt imported) would set their ru_maxrss floor
    assert all(r["rss"] > report["data"]["baseline_rss"] for r in table["rows"])
