"""One damaged manifest does not hide the other bundles: it is listed and marked BROKEN."""

from __future__ import annotations

from pathlib import Path

import pytest

from rustybt import BundleCorrupted, Manifest, ingest, load, register, registered, unregister
from rustybt.cli import main
from rustybt.data.bundles.sources import synthetic_ingest


@pytest.fixture(autouse=True)
def _forget_registrations():
    before = set(registered())
    yield
    for name in set(registered()) - before:
        unregister(name)


@pytest.mark.filterwarnings("ignore::rustybt.errors.IngestWarning")
def test_truncated_manifest_is_listed_as_broken_and_the_others_still_show(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, seed in (("good", 1), ("bad", 2)):
        register(name, synthetic_ingest(n_assets=2, years=0.1, seed=seed))
        ingest(name, root=root)
    manifest = load("bad", root=root).path / "manifest.json"
    manifest.write_text(manifest.read_text()[:40])  # truncated mid-JSON
    with pytest.raises(BundleCorrupted, match=r"manifest\.json"):
        Manifest.read(manifest.parent)
    assert main(["--root", str(root), "bundles"]) == 0
    out, err = capsys.readouterr()
    assert "good" in out and "bad" in out and "BROKEN" in out
    assert "manifest.json" in err and "unreadable manifest" in err
    # the broken version does not block a re-ingest of its bundle
    ingest("bad", root=root)
    assert load("bad", root=root).path != manifest.parent
