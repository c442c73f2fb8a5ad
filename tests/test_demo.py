"""The `rustybt demo` job and the top-level CLI plumbing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rustybt.cli import build_parser, main
from rustybt.cli._demo import run_demo


def test_demo_runs_end_to_end_and_reuses_its_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_demo(root=tmp_path, n_assets=6, years=0.5, fast=5, slow=10)
    out = capsys.readouterr().out
    assert "ingested" in out
    assert "moving-average crossover" in out
    assert "DuckDB" in out
    assert first["calls"] > 100
    second = run_demo(root=tmp_path, n_assets=6, years=0.5, fast=5, slow=10)
    assert "reused" in capsys.readouterr().out
    # Same bundle, same job: identical result.
    assert second["pnl"] == first["pnl"]


def test_cli_demo_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["--root", str(tmp_path), "demo", "--assets", "4", "--years", "0.3", "--slow", "8",
               "--fast", "3"])
    assert rc == 0
    assert "history() calls" in capsys.readouterr().out


def test_every_subcommand_has_help() -> None:
    parser = build_parser()
    sub_actions = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    assert sub_actions
    names = list(sub_actions[0].choices)
    assert {"demo", "bundles", "ingest", "sql"} <= set(names)
    for name in names:
        with pytest.raises(SystemExit) as exc:
            parser.parse_args([name, "--help"])
        assert exc.value.code == 0


def test_console_script_entry_point() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rustybt", "--help"], capture_output=True, text=True, check=True
    )
    assert "demo" in out.stdout
