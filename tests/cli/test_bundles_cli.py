"""``rustybt ingest`` and ``rustybt bundles`` (in-process, plus one real subprocess)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rustybt import load, registered, unregister
from rustybt.cli import main
from rustybt.cli._bundles import format_bytes
from rustybt.data.bundles.sources import synthetic_frames

pytestmark = pytest.mark.filterwarnings("ignore::rustybt.errors.IngestWarning")


@pytest.fixture(autouse=True)
def _forget_registrations():
    before = set(registered())
    yield
    for name in set(registered()) - before:
        unregister(name)


def run(root, *argv):
    return main(["--root", str(root), *argv])


def test_ingest_synthetic_then_list_clean_verify(root, capsys):
    assert (
        run(
            root,
            "ingest",
            "demo",
            "--source",
            "synthetic",
            "--assets",
            "3",
            "--years",
            "0.2",
            "--minute",
            "--minute-assets",
            "1",
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert out.startswith("ingested demo: version ") and "3 assets, daily+minute" in out
    assert "synthetic (minute): 3/3 assets in " in err  # progress: one plain line off a tty
    assert "\r" not in err
    first = load("demo", root=root)
    assert first.manifest.source["cli"]["source"] == "synthetic"

    assert run(root, "ingest", "demo", "--no-progress") == 0  # re-ingest, recorded source
    out, err = capsys.readouterr()
    assert err == "" and first.version[:12] in out
    assert "reused, no copy made" in out  # identical content: no second version
    argv = ["--source", "synthetic", "--assets", "3", "--years", "0.2", "--seed", "1"]
    assert run(root, "ingest", "demo", *argv, "--no-progress") == 0  # new content
    capsys.readouterr()

    for argv in (["bundles"], ["bundles", "list"]):
        assert run(root, *argv) == 0
        out, _ = capsys.readouterr()
        lines = out.splitlines()
        assert lines[0].split()[:3] == ["NAME", "VERSION", "DIRECTORY"]
        assert len([ln for ln in lines if ln.startswith("demo")]) == 2
        assert "2024-" in out and "KiB" in out and "daily+minute" in out

    assert run(root, "bundles", "clean", "demo", "--keep", "1") == 0
    out, _ = capsys.readouterr()
    assert out.startswith("removed 1 version(s) of demo")
    assert run(root, "bundles", "clean", "demo", "--keep", "1") == 0
    assert "nothing to remove" in capsys.readouterr()[0]
    assert run(root, "bundles", "verify", "demo") == 0
    assert capsys.readouterr()[0].startswith("ok: demo")


def test_ingest_csvdir_with_calendar(root, tmp_path, capsys):
    d = tmp_path / "csv" / "daily"
    d.mkdir(parents=True)
    data = synthetic_frames(2, 0.1, seed=3)
    for sid, f in data.daily.items():
        f.to_csv(d / f"T{sid}.csv", index=False)
    assert (
        run(
            root,
            "ingest",
            "c",
            "--source",
            "csvdir",
            "--path",
            str(d.parent),
            "--calendar",
            "XNYS",
            "--no-progress",
        )
        == 0
    )
    assert "ingested c:" in capsys.readouterr()[0]
    assert load("c", root=root).read_assets()["symbol"].tolist() == ["T0", "T1"]


def test_errors_and_usage(root, tmp_path, capsys):
    assert run(root, "bundles") == 0
    assert "no bundles under" in capsys.readouterr()[0]
    assert run(root, "ingest", "x") == 2
    assert "never ingested with --source" in capsys.readouterr()[1]
    assert run(root, "ingest", "x", "--years", "3") == 2
    assert "--years needs --source" in capsys.readouterr()[1]
    assert run(root, "ingest", "x", "--source", "csvdir") == 2
    assert "needs --path" in capsys.readouterr()[1]
    bad = tmp_path / "bad" / "daily"
    bad.mkdir(parents=True)
    (bad / "A.csv").write_text("date,open,high,low,close,volume\n2024-01-02,1,1,2,1,1\n")
    assert run(root, "ingest", "x", "--source", "csvdir", "--path", str(bad.parent)) == 1
    err = capsys.readouterr()[1]
    assert "error: file " in err and "row 1, column 'low', value 2.0:" in err
    assert run(root, "bundles", "clean", "x", "--keep", "0") == 1
    assert run(root, "bundles", "verify", "x") == 1
    assert "error:" in capsys.readouterr()[1]


def test_ingest_reports_warnings(root, tmp_path, capsys):
    d = tmp_path / "w" / "daily"
    d.mkdir(parents=True)
    (d / "A.csv").write_text(
        "date,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n2024-01-04,1,1,1,1,1\n"
    )
    assert (
        run(root, "ingest", "w", "--source", "csvdir", "--path", str(d.parent), "--no-progress")
        == 0
    )
    assert "warning: 1 session(s) without a bar" in capsys.readouterr()[1]


def test_help_on_every_subcommand(capsys):
    for argv in (
        ["ingest", "--help"],
        ["bundles", "--help"],
        ["bundles", "list", "--help"],
        ["bundles", "clean", "--help"],
        ["bundles", "verify", "--help"],
    ):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
    assert "--source" in capsys.readouterr()[0]


def test_format_bytes():
    assert format_bytes(10) == "10 B"
    assert format_bytes(2048) == "2.0 KiB"
    assert format_bytes(3 * 1024**3) == "3.0 GiB"


def test_console_script_in_a_subprocess(root):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rustybt",
            "--root",
            str(root),
            "ingest",
            "s",
            "--source",
            "synthetic",
            "--assets",
            "2",
            "--years",
            "0.1",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ingested s:" in proc.stdout
