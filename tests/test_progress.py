"""rustybt._progress for real: a child process whose stderr is a pseudo-terminal, or a pipe."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_WORK = """
import sys, time
from rustybt._progress import Progress, track
enabled = {"1": True, "0": False, "none": None}[sys.argv[1]]
delay = float(sys.argv[2])
with Progress(4, "work", enabled=enabled, unit="asset", delay=delay) as bar:
    for _ in range(4):
        time.sleep(0.05)
        bar.update()
        if sys.argv[3] == "fail" and bar.count == 2:
            raise SystemExit(3)
"""


def _run(code: str, *args: str, terminal: bool) -> tuple[int, str]:
    """Run ``code`` in a child; return its exit code and everything it wrote to stderr."""
    cmd = [sys.executable, "-c", textwrap.dedent(code), *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not terminal:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stderr
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # rows, columns
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        proc.wait(timeout=120)
    return proc.returncode, b"".join(chunks).decode()


@pytest.mark.parametrize("enabled", ["1", "none"])
def test_a_terminal_gets_a_tqdm_bar(enabled: str) -> None:
    code, err = _run(_WORK, enabled, "0", "ok", terminal=True)
    assert code == 0
    assert "\r" in err and "work" in err and "4/4" in err  # redrawn frames, final state
    assert err.rstrip().endswith("]")  # tqdm's "[elapsed<remaining, rate]" tail


def test_a_pipe_gets_one_plain_line_and_no_frames() -> None:
    code, err = _run(_WORK, "1", "0", "ok", terminal=False)
    assert code == 0
    assert "\r" not in err
    assert re.fullmatch(r"work: 4/4 assets in \d+\.\ds\n", err), err


def test_a_pipe_line_says_when_the_work_stopped() -> None:
    code, err = _run(_WORK, "1", "0", "fail", terminal=False)
    assert code == 3
    assert re.fullmatch(r"work: 2/4 assets in \d+\.\ds \(stopped\)\n", err), err


def test_background_work_is_silent_off_a_terminal() -> None:
    assert _run(_WORK, "none", "0", "ok", terminal=False) == (0, "")


def test_disabled_writes_nothing_even_on_a_terminal() -> None:
    assert _run(_WORK, "0", "0", "ok", terminal=True) == (0, "")


def test_short_work_draws_nothing_on_a_terminal() -> None:
    assert _run(_WORK, "1", "30", "ok", terminal=True) == (0, "")  # done before the delay


def test_track_counts_what_it_yields_and_a_disabled_bar_still_counts() -> None:
    from rustybt._progress import Progress, track

    assert list(track(range(3), "t", enabled=False)) == [0, 1, 2]
    with Progress(3, "quiet", enabled=False) as bar:
        bar.update(2)
    assert bar.count == 2 and bar.summary().startswith("quiet: 2/3 items in ")
    assert Progress(1, "one", enabled=False, unit="asset").summary().startswith("one: 0/1 asset ")


def test_ingest_with_progress_into_a_log_writes_one_line(tmp_path: Path) -> None:
    code, err = _run(
        """
        import sys
        from rustybt import ingest, register
        from rustybt.data.bundles.sources import synthetic_ingest
        register("p", synthetic_ingest(3, 0.1, seed=1))
        ingest("p", root=sys.argv[1], show_progress=True)
        """,
        str(tmp_path),
        terminal=False,
    )
    assert code == 0, err
    lines = [ln for ln in err.splitlines() if ln.startswith("synthetic")]
    assert len(lines) == 1 and re.fullmatch(r"synthetic: 3/3 assets in \d+\.\ds", lines[0])
    assert "\r" not in err
