"""Bad arguments of ``rustybt ingest --source synthetic`` (and of the Python API behind it) are
one clear line naming the argument and value, exit status 2, never a traceback; Ctrl-C during an
ingest is one line and exit status 130, with nothing published."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rustybt import InvalidSourceOption, load
from rustybt.cli import build_parser, main
from rustybt.data.bundles.sources import iter_synthetic, synthetic_frames, synthetic_ingest
from rustybt.data.bundles.sources.registry import make_ingest
from tests.cli.cli_support import REPO, rustybt

SYN = ["--source", "synthetic", "--assets", "2", "--years", "0.1", "--no-progress"]


def _refused(root: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run ``rustybt ingest b ...``; assert exit 2, one line, nothing written; return the line.

    In-process (the CLI's own ``main``): an exception escaping it fails the test, as a
    traceback would; ``test_the_real_entry_point_prints_no_traceback`` runs the console script.
    """
    assert main(["--root", str(root), "ingest", "b", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    bundle_dir = root / "bundles" / "b"
    assert not bundle_dir.exists() or not any(bundle_dir.iterdir())
    return err.strip()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--calendar", "NOPE"],
            "error: --calendar NOPE: unknown exchange calendar; list the names with: python -c "
            "'import exchange_calendars as x; print(x.get_calendar_names())'",
        ),
        (["--years", "0"], "error: --years 0: must be more than 0 and at most 100"),
        (["--years", "-1"], "error: --years -1: must be more than 0 and at most 100"),
        (["--years", "nan"], "error: --years nan: must be more than 0 and at most 100"),
        (["--years", "inf"], "error: --years inf: must be more than 0 and at most 100"),
        (["--years", "200"], "error: --years 200: must be more than 0 and at most 100"),
        (
            ["--end-session", "notadate"],
            "error: --end-session notadate: not a date (expected YYYY-MM-DD)",
        ),
        (["--seed", "-1"], "error: --seed -1: must be >= 0 (NumPy seeds)"),
        (["--assets", "0"], "error: --assets 0: must be >= 1"),
        (
            ["--minute", "--minute-assets", "5"],
            "error: --minute-assets 5: more than --assets 2 "
            "(the minute assets are the lowest sids of the assets)",
        ),
        (
            ["--minute-assets", "1"],
            "error: --minute-assets 1 given without minute bars (no --minute): "
            "ask for them or leave it out",
        ),
    ],
)
def test_bad_synthetic_flags_are_one_line_naming_flag_and_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    assert _refused(tmp_path, capsys, *SYN, *argv) == expected


def test_the_real_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    proc = rustybt("--root", str(tmp_path), "ingest", "b", *SYN, "--seed", "-1")
    assert (proc.returncode, proc.stderr) == (2, "error: --seed -1: must be >= 0 (NumPy seeds)\n")


def test_a_close_calendar_name_is_suggested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _refused(tmp_path, capsys, *SYN, "--calendar", "XNSY")
    assert line.startswith("error: --calendar XNSY: unknown exchange calendar; did you mean XNYS")


def test_a_range_without_sessions_names_years_and_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _refused(tmp_path, capsys, *SYN, "--years", "0.003", "--end-session", "2024-12-28")
    assert line == (
        "error: --years 0.003 ending at --end-session 2024-12-28: no XNYS session between "
        "2024-12-28 and 2024-12-28; ask for more years"
    )


def test_help_states_the_limits_and_the_non_session_end() -> None:
    ingest_parser = build_parser()._subparsers._group_actions[0].choices["ingest"]  # type: ignore[union-attr]
    text = " ".join(ingest_parser.format_help().split())
    assert "more than 0 and at most 100" in text
    assert "a day that is not a session (weekend, holiday) ends the data at the session before" in (
        text
    )
    assert "seed, >= 0" in text
    assert "1 to --assets, with --minute" in text


def test_a_weekend_end_session_ends_at_the_friday_before(tmp_path: Path) -> None:
    assert main(["--root", str(tmp_path), "ingest", "w", *SYN, "--end-session", "2024-12-28"]) == 0
    assert load("w", root=tmp_path).manifest.last_session == "2024-12-27"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_assets": 0}, "n_assets=0: must be >= 1"),
        ({"years": float("nan")}, "years=nan: must be more than 0 and at most 100"),
        ({"years": 100.5}, "years=100.5: must be more than 0 and at most 100"),
        ({"seed": -1}, "seed=-1: must be >= 0 (NumPy seeds)"),
        ({"seed": 1.5}, "seed=1.5: expected a whole number"),
        ({"end_session": "notadate"}, "end_session='notadate': not a date (expected YYYY-MM-DD)"),
        ({"calendar_name": "NOPE"}, "calendar_name='NOPE': unknown exchange calendar"),
        (
            {"minute": True, "minute_assets": 3},
            "minute_assets=3: more than n_assets=2 (the minute assets are the lowest sids",
        ),
        (
            {"minute_assets": 1},
            "minute_assets=1 given without minute bars (minute=False): ask for them",
        ),
        ({"minute": True, "minute_assets": 0}, "minute_assets=0: must be >= 1"),
        (
            {"years": 0.003, "end_session": "2024-12-28"},
            "years=0.003 ending at end_session='2024-12-28': no XNYS session",
        ),
    ],
)
def test_the_python_api_gives_the_same_errors(kwargs: dict[str, object], message: str) -> None:
    args = {"n_assets": 2, "years": 0.1, **kwargs}
    for fn in (synthetic_ingest, synthetic_frames, iter_synthetic):
        with pytest.raises(InvalidSourceOption) as info:
            fn(**args)  # type: ignore[operator]
        assert str(info.value).startswith(message), str(info.value)
        assert isinstance(info.value, ValueError)
        assert info.value.option == message.split("=")[0]


def test_the_source_names_its_own_options() -> None:
    with pytest.raises(InvalidSourceOption) as info:
        make_ingest("synthetic", {"assets": "3", "minute": "yes", "minute_assets": "4"})
    assert str(info.value).startswith("minute_assets=4: more than assets=3")
    assert (info.value.source, info.value.option, info.value.value) == (
        "synthetic",
        "minute_assets",
        4,
    )


def _tmp_dirs(bundle_dir: Path) -> list[Path]:
    if not bundle_dir.is_dir():
        return []
    return [p for p in bundle_dir.iterdir() if p.name.startswith(".tmp-") and p.is_dir()]


def test_ctrl_c_during_ingest_is_one_line_exit_130_nothing_published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(tmp_path), "ingest", "big", *SYN]) == 0
    capsys.readouterr()
    assert main(["--root", str(tmp_path), "bundles"]) == 0
    listed = capsys.readouterr().out
    bundle_dir = tmp_path / "bundles" / "big"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    argv = ["--root", str(tmp_path), "ingest", "big", "--source", "synthetic"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "rustybt", *argv, "--assets", "20000", "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        while not _tmp_dirs(bundle_dir) and proc.poll() is None:
            time.sleep(0.02)  # polling for the ingest to start, not a timed assertion
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err == "rustybt ingest: interrupted; nothing was written\n"
    assert out == ""
    assert _tmp_dirs(bundle_dir) == []
    assert main(["--root", str(tmp_path), "bundles"]) == 0
    assert capsys.readouterr().out == listed
