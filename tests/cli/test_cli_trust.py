"""Trust fixes at the CLI: recorded options survive a change of directory, names stay inside."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rustybt import load, registered, unregister
from rustybt.cli import main
from rustybt.data.bundles.sources import synthetic_frames

pytestmark = pytest.mark.filterwarnings("ignore::rustybt.errors.IngestWarning")


@pytest.fixture(autouse=True)
def _forget_registrations():
    before = set(registered())
    yield
    for name in set(registered()) - before:
        unregister(name)


def _csvdir(base: Path, seed: int) -> None:
    d = base / "data" / "daily"
    d.mkdir(parents=True)
    for sid, f in synthetic_frames(2, 0.1, seed=seed).daily.items():
        f.to_csv(d / f"T{sid}.csv", index=False)


def test_reingest_from_another_directory_reads_the_recorded_absolute_path(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "A", tmp_path / "B"
    _csvdir(a, seed=1)
    _csvdir(b, seed=2)  # same relative layout, other data
    monkeypatch.chdir(a)
    argv = ["--root", str(root), "ingest", "p", "--source", "csvdir", "--path", "data",
            "--no-progress"]
    assert main(argv) == 0
    first = load("p", root=root)
    assert first.manifest.source["cli"]["path"] == str((a / "data").resolve())
    unregister("p")
    monkeypatch.chdir(b)
    assert main(["--root", str(root), "ingest", "p", "--no-progress"]) == 0
    again = load("p", root=root)
    assert again.version == first.version  # A's data again, not B's
    assert os.path.isabs(again.manifest.source["cli"]["path"])


@pytest.mark.parametrize("name", ["../escape", "/tmp/abs", "a/b", ".hidden", ".."])
def test_bundle_names_that_are_not_one_plain_component_are_refused(
    root: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--root", str(root), "ingest", name, "--source", "synthetic", "--assets", "1",
                 "--years", "0.1", "--no-progress"])
    assert code != 0
    assert "invalid bundle name" in capsys.readouterr()[1]
    assert not (root.parent / "escape").exists()
    assert not Path("/tmp/abs").exists() or not (Path("/tmp/abs") / "CURRENT").exists()
