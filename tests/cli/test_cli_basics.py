"""The command line itself: --version, --root anywhere, zipline's spellings, plain help, tables."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

import rustybt
from rustybt import load
from rustybt.cli import build_parser, main
from rustybt.cli._table import Column, print_table

pytestmark = pytest.mark.filterwarnings("ignore::rustybt.errors.IngestWarning")
SYN = ["--source", "synthetic", "--assets", "2", "--years", "0.1", "--no-progress"]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"rustybt {rustybt.__version__}"


def test_root_after_the_command(
    tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    assert main(["ingest", "a", *SYN, "--root", str(other)]) == 0
    assert load("a", root=other).name == "a"
    assert not root.exists()  # $RUSTYBT_ROOT was not used
    capsys.readouterr()
    for argv in (["bundles", "--root", str(other)], ["bundles", "list", "--root", str(other)]):
        assert main(argv) == 0
        assert capsys.readouterr().out.splitlines()[1].startswith("a ")
    assert main(["--root", str(root), "bundles", "--root", str(other)]) == 0  # innermost wins
    assert "a " in capsys.readouterr().out
    assert main(["--root", str(other), "bundles", "verify", "a"]) == 0  # before still works


def _all_parsers(p: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    out = [p]
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                out += _all_parsers(child)
    return out


def test_help_texts_have_no_rst_literals() -> None:
    parsers = _all_parsers(build_parser())
    assert len(parsers) >= 12
    for p in parsers:
        text = p.format_help()
        assert "``" not in text, p.prog
        assert "--root" in text, p.prog
    demo = next(p for p in parsers if p.prog == "rustybt demo").format_help()
    assert "'history(..., return_type='array')'" in " ".join(demo.split())


def test_ingest_dash_b(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "-b", "zb", *SYN]) == 0
    assert load("zb", root=root).name == "zb"
    assert main(["ingest", "x", "-b", "y", *SYN]) == 2
    assert "two bundle names" in capsys.readouterr().err
    assert main(["ingest", *SYN]) == 2
    assert "which bundle?" in capsys.readouterr().err


def _versions(name: str, root: Path) -> list[str]:
    info = next(b for b in rustybt.bundles(root) if b.name == name)
    return [v.directory for v in info.versions]


def test_zipline_clean(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for seed in range(3):
        assert main(["ingest", "c", *SYN, "--seed", str(seed)]) == 0
    dirs = _versions("c", root)
    assert len(dirs) == 3
    assert main(["clean", "-b", "c", "--keep-last", "2"]) == 0
    assert f"removed 1 version(s) of c: {dirs[0]}" in capsys.readouterr().out
    assert _versions("c", root) == dirs[1:]
    assert main(["clean", "-b", "c", "--after", "2000-01-01"]) == 0  # all but the current
    assert _versions("c", root) == dirs[2:]
    assert main(["ingest", "c", *SYN, "--seed", "9"]) == 0
    assert main(["clean", "-b", "c", "--before", "2000-01-01"]) == 0
    assert "nothing to remove" in capsys.readouterr().out
    assert main(["clean", "-b", "c", "-e", "2999-01-01"]) == 0  # zipline's -e/--before
    assert len(_versions("c", root)) == 1
    assert main(["clean", "-b", "c", "-k", "1", "--before", "2999-01-01"]) == 1
    assert "not both" in capsys.readouterr().err
    assert main(["bundles", "clean", "c", "--keep-last", "1"]) == 0
    assert main(["bundles", "clean"]) == 2


def test_unknown_source_lists_the_available_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "u", "--source", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown source 'nope'; available sources: csvdir, dataframe, synthetic" in err
    assert main(["ingest", "u", "--source", "csvdir", "--assets", "3"]) == 2
    assert "source 'csvdir' takes no option 'assets'" in capsys.readouterr().err
    assert main(["ingest", "u", "--option", "x=1"]) == 2
    assert "--option x=... needs --source" in capsys.readouterr().err
    assert main(["bundles", "sources"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["SOURCE", "FROM", "DESCRIPTION"]
    assert [ln.split()[:2] for ln in out[1:]] == [
        ["csvdir", "built-in"],
        ["dataframe", "built-in"],
        ["synthetic", "built-in"],
    ]


def test_dataframe_source_from_a_parquet_file(root: Path, tmp_path: Path) -> None:
    frame = rustybt.data.bundles.sources.synthetic_frames(2, 0.1, seed=4)
    import pandas as pd

    long = pd.concat(
        [f.assign(symbol=f"Q{sid}") for sid, f in frame.daily.items()], ignore_index=True
    )
    path = tmp_path / "bars.parquet"
    long.to_parquet(path)
    assert main(["ingest", "df", "--source", "dataframe", "--option", f"daily={path}"]) == 0
    bundle = load("df", root=root)
    assert bundle.read_assets()["symbol"].tolist() == ["Q0", "Q1"]
    assert bundle.manifest.source["cli"] == {"source": "dataframe", "daily": str(path)}
    assert main(["ingest", "df", "--no-progress"]) == 0  # recorded options: same content
    assert load("df", root=root).path == bundle.path


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_tables_rich_on_a_terminal_plain_elsewhere() -> None:
    cols = [Column("NAME"), Column("N", "right")]
    rows = [("a[b]", "7"), ("long name", "123")]
    plain = io.StringIO()
    print_table(cols, rows, plain)
    assert plain.getvalue() == "NAME         N\na[b]         7\nlong name  123\n"
    term = _Terminal()
    print_table(cols, rows, term)
    assert "─" in term.getvalue() and "\x1b[1m" in term.getvalue()  # rule, bold header
    assert "a[b]" in term.getvalue()  # no markup interpretation
