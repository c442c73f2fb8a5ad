"""User sources reach ``rustybt ingest``: an extension file and an entry point (real processes)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from cli_support import rustybt

EXTENSION = textwrap.dedent(
    '''
    import pandas as pd

    from rustybt import register
    from rustybt.data.bundles.sources import dataframe_ingest, register_source


    @register_source("toy")
    def toy(*, assets="2", calendar=None):
        """Three sessions of flat toy bars."""
        dates = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"])
        rows = [
            dict(symbol=f"T{i}", date=d, open=10.0, high=11.0, low=9.0, close=10.5, volume=100)
            for i in range(int(assets))
            for d in dates
        ]
        return dataframe_ingest(pd.DataFrame(rows))


    register("toy-fixed", toy(assets="1"))
    '''
)


def test_extension_file_through_the_cli(tmp_path: Path) -> None:
    root = tmp_path / "root"
    ext = tmp_path / "ext.py"
    ext.write_text(EXTENSION)
    proc = rustybt("--root", str(root), "-e", str(ext), "ingest", "t", "--source", "toy",
                   "--option", "assets=3", "--no-progress")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "ingested t: " in proc.stdout and "3 assets" in proc.stdout
    proc = rustybt("--root", str(root), "ingest", "t", "--source", "toy")  # without -e: unknown
    assert proc.returncode == 2
    assert "unknown source 'toy'; available sources: csvdir, dataframe, synthetic" in proc.stderr

    (root / "extension.py").write_text(EXTENSION)  # $RUSTYBT_ROOT/extension.py runs by itself
    proc = rustybt("ingest", "t", "--no-progress", env={"RUSTYBT_ROOT": str(root)})
    assert proc.returncode == 0, proc.stderr  # recorded source 'toy' with assets=3
    assert "reused, no copy made" in proc.stdout
    proc = rustybt("--root", str(root), "ingest", "toy-fixed", "--no-progress")
    assert proc.returncode == 0 and "1 assets" in proc.stdout, proc.stderr
    proc = rustybt("--root", str(root), "bundles", "sources")
    toy_line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("toy"))
    assert str(root / "extension.py") in toy_line and "Three sessions" in toy_line
    proc = rustybt("--root", str(root), "ingest", "u", "--source", "nope")
    assert "available sources: csvdir, dataframe, synthetic, toy" in proc.stderr

    (root / "extension.py").write_text("raise RuntimeError('boom')\n")
    proc = rustybt("--root", str(root), "bundles")
    assert proc.returncode == 2
    assert f"error: extension {root / 'extension.py'}: RuntimeError: boom" in proc.stderr
    proc = rustybt("--root", str(tmp_path / "r2"), "-e", str(tmp_path / "missing.py"), "bundles")
    assert proc.returncode == 2 and "missing.py: no such file" in proc.stderr


def test_entry_point_source(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    plugin = EXTENSION.replace('register("toy-fixed", toy(assets="1"))', "")
    (site / "toyplug.py").write_text(plugin)
    dist = site / "toyplug-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toyplug\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[rustybt.sources]\nplug = toyplug:toy\n")
    env = {"PYTHONPATH": str(site)}
    root = str(tmp_path / "root")
    proc = rustybt("--root", root, "bundles", "sources", env=env)
    assert proc.returncode == 0, proc.stderr
    assert any(ln.split()[:4] == ["plug", "entry", "point", "toyplug:toy"]
               for ln in proc.stdout.splitlines()), proc.stdout  # fmt: skip
    proc = rustybt("--root", root, "ingest", "p", "--source", "plug", "--no-progress", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "2 assets" in proc.stdout
