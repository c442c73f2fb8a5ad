"""``rustybt sql`` streams: printing 100 rows of a multi-million-row query keeps one batch.

Peak RSS of a real process is compared with the same process running an empty query: the
difference stays far below the size of the materialised result (~160 MB of Arrow for 5 M rows;
the former fetch-everything code peaked 2.5 GB above the baseline).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from rustybt.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::rustybt.errors.IngestWarning")
ROWS = 5_000_000
QUERY = "SELECT i, i * 1.5 AS x, 'row ' || i AS s FROM range({n}) t(i)"
PEAK = (
    "import resource, sys; from rustybt.cli import main; code = main(sys.argv[1:]); "
    "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)


@pytest.fixture
def bundle_root(root: Path) -> Path:
    argv = ["ingest", "t", "--source", "synthetic", "--assets", "2", "--years", "0.1"]
    assert main([*argv, "--no-progress"]) == 0
    return root


def _peak_mib(root: Path, *argv: str) -> tuple[float, str]:
    import subprocess
    import sys

    from cli_support import REPO

    proc = subprocess.run(
        [sys.executable, "-c", PEAK, "--root", str(root), "sql", "t", *argv],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    peak = next(ln for ln in proc.stderr.splitlines() if ln.startswith("PEAK"))
    return int(peak.split()[1]) / 1024, proc.stdout


def test_table_output_keeps_only_what_it_prints(bundle_root: Path, tmp_path: Path) -> None:
    base, _ = _peak_mib(bundle_root, QUERY.format(n=0))
    big, out = _peak_mib(bundle_root, QUERY.format(n=ROWS))
    lines = out.splitlines()
    assert lines[0].split() == ["i", "x", "s"] and lines[1].split() == ["0", "0.0", "row", "0"]
    assert lines[-1] == f"({ROWS} rows, first 100 shown)" and len(lines) == 102
    assert big - base < 100, (base, big)  # MiB; the whole result is ~160 MiB of Arrow
    csv_path = tmp_path / "r.csv"
    csv_args = ("--format", "csv", "-o", str(csv_path))
    peak_csv, _ = _peak_mib(bundle_root, QUERY.format(n=ROWS), *csv_args)
    assert peak_csv - base < 100, (base, peak_csv)
    with open(csv_path) as fh:
        assert fh.readline() == "i,x,s\n" and fh.readline() == '0,0.0,"row 0"\n'
    with open(csv_path) as fh:
        assert sum(1 for _ in fh) == ROWS + 1


def test_formats_stream_batch_by_batch(
    bundle_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    q = QUERY.format(n=200_000)  # several batches
    pq_path = tmp_path / "r.parquet"
    assert main(["sql", "t", q, "--format", "parquet", "-o", str(pq_path)]) == 0
    table = pq.read_table(pq_path)
    assert table.num_rows == 200_000 and table["i"].to_pylist()[-1] == 199_999
    assert main(["sql", "t", q, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 200_000 and rows[70_000] == {"i": 70_000, "x": "105000.0", "s": "row 70000"}
    assert main(["sql", "t", "SELECT 1 AS a WHERE false", "--format", "json"]) == 0
    assert capsys.readouterr().out == "[]\n"
    assert main(["sql", "t", "SELECT 1 AS a WHERE false"]) == 0
    assert capsys.readouterr().out.splitlines() == ["a", "(0 rows)"]


def test_error_while_streaming_is_reported(
    bundle_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = "SELECT CAST(CASE WHEN i = 150000 THEN 'x' ELSE '1' END AS INT) FROM range(200000) t(i)"
    assert main(["sql", "t", bad, "--max-rows", "5"]) == 1
    assert "Conversion Error" in capsys.readouterr().err
