"""rustybt._fs on real files and real processes: atomic writes, fsync, the file lock, digests."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from rustybt._fs import (
    TMP_PREFIX,
    atomic_path,
    atomic_write,
    file_digest,
    file_lock,
    fsync_dir,
    fsync_file,
    sweep_temps,
    update_digest,
)
from rustybt.errors import LockTimeout, RustybtError

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"child exited early ({proc.returncode}): {proc.communicate()[1]}")
        assert time.monotonic() < deadline, "child never got there"
        time.sleep(0.01)


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(TMP_PREFIX)]


# ---------------------------------------------------------------------------- atomic writes
def test_atomic_write_bytes_and_text_replace_the_file(tmp_path: Path) -> None:
    dest = tmp_path / "f.bin"
    atomic_write(dest, b"\x00\x01old")
    assert dest.read_bytes() == b"\x00\x01old"
    atomic_write(dest, "nouveau ✓\n")
    assert dest.read_text(encoding="utf-8") == "nouveau ✓\n"
    atomic_write(dest, "latin é", encoding="latin-1")
    assert dest.read_bytes() == "latin é".encode("latin-1")
    assert _leftovers(tmp_path) == []


def test_a_failing_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    dest = tmp_path / "table.parquet"
    dest.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="half-way"), atomic_path(dest) as tmp:
        tmp.write_bytes(b"half a fi")
        raise RuntimeError("half-way")
    assert dest.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_atomic_path_writes_through_a_file_name_api(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    dest = tmp_path / "t.parquet"
    with atomic_path(dest) as tmp:
        assert tmp.parent == dest.parent and tmp.name.startswith(TMP_PREFIX)
        assert not dest.exists()  # nothing visible before the block ends
        pq.write_table(pa.table({"x": [1, 2, 3]}), tmp)
    assert pq.read_table(dest).column("x").to_pylist() == [1, 2, 3]


def test_a_killed_writer_leaves_the_old_file_whole(tmp_path: Path) -> None:
    dest, marker = tmp_path / "CURRENT", tmp_path / "marker"
    dest.write_text("v1\n")
    child = _python(
        """
        import sys, time
        from pathlib import Path
        from rustybt._fs import atomic_path
        with atomic_path(Path(sys.argv[1])) as tmp:
            with open(tmp, "w") as fh:
                fh.write("v2 partial")
                fh.flush()
                Path(sys.argv[2]).write_text("x")
                time.sleep(120)
        """,
        str(dest), str(marker),
    )
    try:
        _wait_for(marker, child)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert dest.read_text() == "v1\n"
    assert len(_leftovers(tmp_path)) == 1  # hidden, for a sweep to remove


def test_sweep_temps_spares_a_live_writer_and_removes_a_killed_ones(tmp_path: Path) -> None:
    dest, lock, marker = tmp_path / "store.arrow", tmp_path / ".store.arrow.lock", tmp_path / "m"
    others = [tmp_path / f"{TMP_PREFIX}store.arrow.x-1-{'a' * 32}",  # another file's
              tmp_path / f"{TMP_PREFIX}store.arrow-notours"]  # not atomic_path's pattern
    for p in others:
        p.write_text("x")
    child = _python(
        """
        import sys, time
        from pathlib import Path
        from rustybt._fs import atomic_path, file_lock
        with file_lock(Path(sys.argv[2])), atomic_path(Path(sys.argv[1])) as tmp:
            tmp.write_text("partial")
            Path(sys.argv[3]).write_text("x")
            time.sleep(120)
        """,
        str(dest), str(lock), str(marker),
    )
    try:
        _wait_for(marker, child)
        (live,) = set(_leftovers(tmp_path)) - {p.name for p in others}
        assert sweep_temps(dest, lock) == []  # the writer holds the lock: its file stays
        assert (tmp_path / live).read_text() == "partial"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert sweep_temps(dest, lock) == [tmp_path / live]
    assert sorted(_leftovers(tmp_path)) == sorted(p.name for p in others)
    assert sweep_temps(tmp_path / "missing" / "f", lock) == []


def test_fsync_file_and_dir_on_real_paths(tmp_path: Path) -> None:
    f = tmp_path / "a"
    f.write_bytes(b"data")
    fsync_file(f)
    fsync_dir(tmp_path)
    with pytest.raises(FileNotFoundError):
        fsync_dir(tmp_path / "missing")


# ---------------------------------------------------------------------------- file lock
_HOLDER = """
import sys, time
from pathlib import Path
from rustybt._fs import file_lock
with file_lock(Path(sys.argv[1])):
    Path(sys.argv[2]).write_text("held")
    time.sleep(float(sys.argv[3]))
"""


def test_a_second_process_waits_for_the_lock(tmp_path: Path) -> None:
    lock, marker = tmp_path / "sub" / ".lock", tmp_path / "marker"
    holder = _python(_HOLDER, str(lock), str(marker), "1.0")
    try:
        _wait_for(marker, holder)
        t0 = time.monotonic()
        with file_lock(lock):
            waited = time.monotonic() - t0
            assert holder.wait(timeout=30) == 0  # the holder had finished before we got it
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert waited > 0.3
    assert lock.exists()  # left in place for the next waiter


def test_timeout_raises_lock_timeout_naming_the_file(tmp_path: Path) -> None:
    lock, marker = tmp_path / ".lock", tmp_path / "marker"
    holder = _python(_HOLDER, str(lock), str(marker), "30")
    try:
        _wait_for(marker, holder)
        t0 = time.monotonic()
        with pytest.raises(LockTimeout, match=r"\.lock: still locked") as info, \
                file_lock(lock, timeout=0.2):
            pass  # pragma: no cover - never entered
        assert 0.15 < time.monotonic() - t0 < 5
        assert isinstance(info.value, TimeoutError) and isinstance(info.value, RustybtError)
        os.kill(holder.pid, signal.SIGKILL)  # the kernel releases a dead holder's lock
        holder.wait(timeout=30)
        with file_lock(lock, timeout=5):
            pass
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_two_threads_of_one_process_exclude_each_other(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    inside: list[int] = []
    overlap: list[bool] = []

    def work(i: int) -> None:
        for _ in range(5):
            with file_lock(lock):
                inside.append(i)
                overlap.append(len(inside) > 1)
                time.sleep(0.005)
                inside.remove(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(overlap) == 20 and not any(overlap)


# ---------------------------------------------------------------------------- digests
def test_file_digest_matches_hashlib(tmp_path: Path) -> None:
    f = tmp_path / "blob"
    data = os.urandom(3 << 20) + b"tail"  # spans several read chunks
    f.write_bytes(data)
    assert file_digest(f) == hashlib.sha256(data).hexdigest()
    assert file_digest(f, "md5") == hashlib.md5(data).hexdigest()
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert file_digest(empty) == hashlib.sha256(b"").hexdigest()


def test_update_digest_feeds_a_running_hash(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"first")
    b.write_bytes(b"second")
    h = hashlib.sha256(b"key/1")
    update_digest(h, a)
    update_digest(h, b)
    assert h.hexdigest() == hashlib.sha256(b"key/1firstsecond").hexdigest()
