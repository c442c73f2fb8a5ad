"""A SIGKILLed ingest (during bars, before/inside commit) leaves the old version intact,
readable and current, and no visible partial version."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from rustybt import Bundle, BundleWriter, bundles, ingest, load, register, unregister
from rustybt.data.bundles.format import MANIFEST_FILE
from rustybt.data.bundles.sources import synthetic_frames, synthetic_ingest

ARGS = dict(n_assets=6, years=0.25)

CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path

    point, root, marker = sys.argv[1], sys.argv[2], Path(sys.argv[3])

    def stall():
        marker.write_text(point)
        time.sleep(120)

    import rustybt.data.bundles.writer as writer_mod
    from rustybt.data.bundles import ingest, register
    from rustybt.data.bundles.sources import synthetic_ingest

    inner = synthetic_ingest(6, 0.25, seed=99)

    if point == "bars":  # after 3 assets' bar files are written
        real = writer_mod.BundleWriter.write_daily_bars
        count = [0]
        def write_daily_bars(self, *a, **k):
            real(self, *a, **k)
            count[0] += 1
            if count[0] == 3:
                stall()
        writer_mod.BundleWriter.write_daily_bars = write_daily_bars
    elif point == "metadata":  # while commit writes the tables
        real_write = writer_mod.write_table
        def write_table(table, path):
            real_write(table, path)
            if path.name == "assets.parquet":
                stall()
        writer_mod.write_table = write_table
    elif point == "manifest":  # manifest written, directory not yet renamed
        real_rename = writer_mod.os.rename
        def rename(src, dst):
            stall()
            real_rename(src, dst)
        writer_mod.os.rename = rename
    elif point == "pointer":  # version renamed into place, pointer not yet switched
        real_replace = writer_mod.os.replace
        def replace(src, dst):
            stall()
            real_replace(src, dst)
        writer_mod.os.replace = replace
    register("kill", inner)
    ingest("kill", root=root)
    marker.write_text("finished")
    """
)


@pytest.fixture
def old(root):
    register("kill", synthetic_ingest(**ARGS, seed=1))
    try:
        bundle = ingest("kill", root=root)
    finally:
        unregister("kill")
    return bundle


def _run_and_kill(tmp_path: Path, root: Path, point: str) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    marker = tmp_path / f"marker-{point}"
    proc = subprocess.Popen(
        [sys.executable, str(script), point, str(root), str(marker)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not (marker.exists() and marker.read_text()):  # written, not just created
            if proc.poll() is not None:
                _, err = proc.communicate()
                pytest.fail(f"child exited early ({proc.returncode}): {err.decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("child never reached the kill point")
            time.sleep(0.02)
        assert marker.read_text() == point
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _assert_old_is_current_and_intact(root: Path, old: Bundle) -> None:
    current = load("kill", root=root)
    assert current.version == old.version and current.path == old.path
    current.verify()
    expected = synthetic_frames(**ARGS, seed=1)
    for sid, frame in expected.daily.items():
        pd.testing.assert_frame_equal(current.read_daily(sid), frame.reset_index(drop=True))


def _visible_versions(root: Path) -> list[Path]:
    bdir = root / "bundles" / "kill"
    return [p for p in bdir.iterdir() if p.is_dir() and not p.name.startswith(".")]


@pytest.mark.parametrize("point", ["bars", "metadata", "manifest"])
def test_kill_before_publish_leaves_no_visible_version(tmp_path, root, old, point):
    _run_and_kill(tmp_path, root, point)
    _assert_old_is_current_and_intact(root, old)
    assert _visible_versions(root) == [old.path]
    (info,) = [b for b in bundles(root) if b.name == "kill"]
    assert [v.directory for v in info.versions] == [old.path.name]
    hidden = [p.name for p in (root / "bundles" / "kill").iterdir() if p.name.startswith(".tmp-")]
    assert hidden  # the killed ingest's leftovers are hidden …
    register("kill", synthetic_ingest(**ARGS, seed=1))
    try:
        ingest("kill", root=root)  # … and removed by the next ingest
    finally:
        unregister("kill")
    assert not [p for p in (root / "bundles" / "kill").iterdir() if p.name.startswith(".tmp-")]


def test_kill_between_rename_and_pointer_switch(tmp_path, root, old):
    """The new directory is complete (every file hashed and fsynced) but not current."""
    _run_and_kill(tmp_path, root, "pointer")
    _assert_old_is_current_and_intact(root, old)
    versions = _visible_versions(root)
    assert len(versions) == 2
    for path in versions:  # nothing partial: every visible version verifies
        assert (path / MANIFEST_FILE).exists()
        Bundle(path).verify()
    (info,) = [b for b in bundles(root) if b.name == "kill"]
    assert [v.current for v in info.versions] == [
        v.directory == old.path.name for v in info.versions
    ]


def test_child_without_kill_publishes(tmp_path, root, old):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    marker = tmp_path / "done"
    subprocess.run(
        [sys.executable, str(script), "none", str(root), str(marker)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert marker.read_text() == "finished"
    assert load("kill", root=root).version != old.version


def test_a_writer_stages_nothing_before_its_first_write(tmp_path):
    """A Ctrl-C between ``BundleWriter(...)`` and its ``with`` leaves no ``.tmp-`` directory.

    CI once delivered a test's SIGINT exactly there: the staging directory, then made by the
    constructor, outlived the interrupted ingest.
    """
    bdir = tmp_path / "b"
    writer = BundleWriter(bdir, name="b")
    assert list(bdir.iterdir()) == []
    writer.abort()
    assert list(bdir.iterdir()) == []


def test_an_interrupt_inside_the_ingest_function_leaves_nothing(root):
    def interrupted(writer: BundleWriter) -> None:
        synthetic_ingest(**ARGS, seed=3)(writer)
        assert [p.name[:5] for p in writer.bundle_dir.iterdir() if p.is_dir()] == [".tmp-"]
        raise KeyboardInterrupt

    register("ctrl-c", interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            ingest("ctrl-c", root=root)
    finally:
        unregister("ctrl-c")
    assert [p.name for p in (root / "bundles" / "ctrl-c").iterdir() if p.is_dir()] == []
