"""Disk use is visible: identical re-ingests make no copy, store sizes and shim conversions show."""

from __future__ import annotations

from pathlib import Path

import pytest

from rustybt import ArrowDataPortal, BundleWriter, bundles, ingest, load, register
from rustybt.cli import main
from rustybt.data.bundles.registry import SHIM_DIR
from rustybt.data.bundles.sources import synthetic_ingest

pytestmark = pytest.mark.filterwarnings("ignore::rustybt.errors.IngestWarning")


def _dirs(root: Path, name: str) -> list[str]:
    return sorted(p.name for p in (root / "bundles" / name).iterdir() if p.name != ".lock")


def test_identical_reingest_reuses_the_version(root: Path) -> None:
    register("r", synthetic_ingest(2, 0.1, seed=1))
    a = ingest("r", root=root)
    again = ingest("r", root=root)
    assert again.path == a.path and again.version == a.version
    assert _dirs(root, "r") == sorted([a.path.name, "CURRENT"])  # no copy, no temp left
    register("r", synthetic_ingest(2, 0.1, seed=2))
    b = ingest("r", root=root)
    assert b.path != a.path and load("r", root=root).path == b.path
    register("r", synthetic_ingest(2, 0.1, seed=1))
    back = ingest("r", root=root)  # same content as a: a becomes current again
    assert back.path == a.path and load("r", root=root).path == a.path
    assert len([v for v in next(i for i in bundles(root) if i.name == "r").versions]) == 2
    a.verify()


def test_bundles_shows_the_store_size(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register("s", synthetic_ingest(2, 0.1, seed=1))
    bundle = ingest("s", root=root)
    assert main(["bundles"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-2:] == ["SIZE", "STORE"]
    assert lines[1].split()[-1] == "-"  # no store built yet
    ArrowDataPortal(bundle)  # builds the mapped store under .cache/<version>
    store = sum(p.stat().st_size for p in bundle.cache_dir.rglob("*") if p.is_file())
    assert store > 0
    (info,) = [b for b in bundles(root) if b.name == "s"]
    assert info.versions[0].store_bytes == store
    assert main(["bundles"]) == 0
    row = capsys.readouterr().out.splitlines()[1].split()
    assert row[-1] in ("B", "KiB", "MiB") and float(row[-2]) > 0


def _fake_conversion(root: Path, key: str) -> Path:
    """A conversion as the shim stores it: a bundle dir named by its key under <root>/shim."""
    fn = synthetic_ingest(2, 0.1, seed=len(key))
    with BundleWriter(root / SHIM_DIR / key, name=f"shim-{key[:12]}") as writer:
        fn(writer)
    return writer.version_dir


def test_shim_conversions_listed_and_cleaned(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bundles", "shim"]) == 0
    assert "no shim conversions under" in capsys.readouterr().out
    first = _fake_conversion(root, "aa" * 16)
    _fake_conversion(root, "bbb" + "b" * 29)
    assert main(["bundles"]) == 0
    out = capsys.readouterr().out
    assert "shim conversions: 2 under" in out and "rustybt bundles clean --shim" in out
    assert main(["bundles", "shim"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["KEY", "VERSION"]
    assert [ln.split()[0] for ln in lines[1:3]] == ["aa" * 16, "b" * 32]
    assert lines[-1].startswith("(2 conversion(s), ")
    assert main(["bundles", "clean", "--shim", "zz"]) == 1
    assert main(["bundles", "clean", "--shim", "aa"]) == 0
    assert "removed 1 shim conversion(s): " + "aa" * 16 in capsys.readouterr().out
    assert not first.exists()
    assert main(["bundles", "clean", "--shim"]) == 0
    assert not [p for p in (root / SHIM_DIR).iterdir() if not p.name.startswith(".")]
    assert main(["bundles", "clean", "x", "--shim"]) == 2
