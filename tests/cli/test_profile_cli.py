"""``rustybt profile``: a real process profiles a backtest into one folder; every bad argument is
one line naming the flag or file, exit 2; py-spy is used when installed and asked for, and its
absence is said clearly."""

from __future__ import annotations

import pstats
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_support import rustybt as rustybt_cli

from rustybt import Bundle
from rustybt.benchmarking import profile_backtest, profiling
from rustybt.cli import main
from rustybt.errors import ProfilerUnavailable

ALGO = """\
from rustybt.api import order_target_percent, symbol


def initialize(context):
    context.asset = symbol("S0")


def handle_data(context, data):
    window = data.history(context.asset, "price", 5, "1d")
    order_target_percent(context.asset, context.params.get("w", 0.5))
    context.last = float(window.iloc[-1])
"""


def _root(bundle: Bundle) -> Path:
    return bundle.path.parents[2]  # <root>/bundles/<name>/<version>


@pytest.fixture
def algo(tmp_path: Path) -> Path:
    path = tmp_path / "algo.py"
    path.write_text(ALGO)
    return path


def _args(bundle: Bundle, algo: Path, *extra: str, start: str = "2023-02-01") -> list[str]:
    return [
        "--root",
        str(_root(bundle)),
        "profile",
        "-f",
        str(algo),
        "-b",
        "algo",
        "-s",
        start,
        "-e",
        "2023-02-28",
        *extra,
    ]


def test_profile_writes_the_folder_and_prints_the_tables(
    algo_bundle: Bundle, algo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "prof"
    proc = rustybt_cli(
        *_args(algo_bundle, algo, "--out", str(out), "--top", "7", "--memory", "-p", "w=0.25")
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("algo.py on algo, 2023-02-01..2023-02-28 (daily): ")
    assert "top 7 by cumulative time" in lines and "top 7 by own time" in lines
    assert any(ln.startswith("memory: peak ") for ln in lines)
    assert lines[-3:] == [
        f"pstats: {out / 'profile.pstats'}",
        f"flamegraph: {out / 'flamegraph.svg'}",
        f"report: {out / 'report.md'}",
    ]
    assert sorted(p.name for p in out.iterdir()) == [
        "flamegraph.svg",
        "profile.pstats",
        "report.md",
    ]
    stats = pstats.Stats(str(out / "profile.pstats"))
    names = {(Path(k[0]).name, k[2]) for k in stats.stats}  # type: ignore[attr-defined]
    assert ("algo.py", "handle_data") in names and ("run.py", "run_algorithm") in names
    titles = " ".join(
        t.text or ""
        for t in ET.parse(out / "flamegraph.svg")
        .getroot()
        .iter("{http://www.w3.org/2000/svg}title")
    )
    assert "run_algorithm (run.py:" in titles and "handle_data (algo.py:" in titles
    report = (out / "report.md").read_text()
    assert report.startswith("# Profile: algo.py on algo, 2023-02-01..2023-02-28 (daily)")
    assert "## Top 7 functions by own time" in report and "## Memory (tracemalloc)" in report


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--top", "0"], "--top must be >= 1, not 0"),
        (["--top", "many"], "--top 'many' is not an integer"),
        (["--sampler", "perf"], "--sampler 'perf': expected one of cprofile, py-spy"),
        (["--py-spy-format", "png"], "--py-spy-format 'png': expected one of flamegraph, "),
        (["-p", "w"], "--param 'w': expected NAME=VALUE"),
        (["--capital-base", "-5"], "--capital-base must be a finite number > 0"),
        (["-b", "nope"], "nope"),
        (["-s", "2023-03-15"], "start 2023-03-15 is after end 2023-02-28"),
    ],
    ids=["top-0", "top-text", "sampler", "py-spy-format", "param", "capital", "bundle", "dates"],
)
def test_bad_arguments_exit_2_naming_the_flag(
    algo_bundle: Bundle,
    algo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    argv = _args(algo_bundle, algo, "--out", str(tmp_path / "o"))
    if extra[0] == "-s":
        argv[argv.index("-s") + 1] = extra[1]
    elif extra[0] == "-b":
        argv[argv.index("-b") + 1] = extra[1]
    else:
        argv += extra
    code, out, err = _main(argv, capsys)
    assert code == 2, err
    assert err.startswith("rustybt profile: ") and message in err, err
    assert len(err.splitlines()) == 1 and out == ""
    assert not (tmp_path / "o").exists()


def test_missing_algorithm_file_is_named(
    algo_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.py"
    code, _, err = _main(_args(algo_bundle, missing), capsys)
    assert (code, err) == (2, f"rustybt profile: algorithm file {missing} does not exist\n")


def test_out_that_is_a_file_or_inside_the_bundles_is_refused(
    algo_bundle: Bundle, algo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = tmp_path / "taken.txt"
    taken.write_text("keep")
    code, _, err = _main(_args(algo_bundle, algo, "--out", str(taken)), capsys)
    assert (code, err) == (2, f"rustybt profile: --out {taken} is a file, not a folder\n")
    assert taken.read_text() == "keep"
    inside = algo_bundle.path / "prof"
    code, _, err = _main(_args(algo_bundle, algo, "--out", str(inside)), capsys)
    assert code == 2 and err.startswith(f"rustybt profile: refusing to write --out {inside}")
    assert not inside.exists()


def test_algorithm_error_exits_1_naming_file_and_line(
    algo_bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    algo = tmp_path / "bad.py"
    algo.write_text(
        textwrap.dedent("""\
        def initialize(context):
            pass


        def handle_data(context, data):
            raise RuntimeError("broken bar")
        """)
    )
    code, out, err = _main(_args(algo_bundle, algo, "--out", str(tmp_path / "o")), capsys)
    assert code == 1 and out == ""
    assert err == (
        "rustybt profile: bad.py, line 6, in handle_data: RuntimeError: broken bar "
        "(--traceback for details)\n"
    )


def test_py_spy_absent_is_said_clearly(
    algo_bundle: Bundle,
    algo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no py-spy, installed or not
    monkeypatch.setattr(profiling, "SCRIPTS_DIR", tmp_path / "empty-bin")
    code, out, err = _main(
        _args(algo_bundle, algo, "--sampler", "py-spy", "--out", str(tmp_path / "o")), capsys
    )
    assert code == 2 and out == ""
    assert err == (
        "rustybt profile: --sampler py-spy: py-spy is not installed (no py-spy "
        "executable on PATH): pip install py-spy, or use the cprofile sampler\n"
    )
    assert not (tmp_path / "o").exists()


def _has_py_spy() -> bool:
    try:
        profiling.py_spy_executable()
    except ProfilerUnavailable:
        return False
    return True


@pytest.mark.skipif(
    not _has_py_spy(),
    reason="py-spy is not installed (pip install py-spy, in the dev extra)",
)
def test_py_spy_sampler_writes_its_graph(algo_bundle: Bundle, algo: Path, tmp_path: Path) -> None:
    report = profile_backtest(
        algo,
        algo_bundle,
        "2023-02-01",
        "2023-02-28",
        tmp_path / "o",
        top=3,
        sampler="py-spy",
        params={"w": 0.25},
    )
    assert report.sampler == "py-spy"
    graph = report.files["flamegraph"]
    assert graph == tmp_path / "o" / "flamegraph.svg"
    root = ET.parse(graph).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "py-spy" in ET.tostring(root, encoding="unicode")  # py-spy's graph, not ours
    assert "flame graph by py-spy" in report.files["report"].read_text()
    assert (tmp_path / "o" / "profile.pstats").is_file()


def test_py_spy_failure_exits_1_with_its_message(
    algo_bundle: Bundle,
    algo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a py-spy that cannot attach (as in a container without ptrace): its own message, exit 1
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "py-spy"
    fake.write_text("#!/bin/sh\necho 'Error: Permission Denied' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(profiling, "SCRIPTS_DIR", bin_dir)
    out = tmp_path / "o"
    code, stdout, err = _main(
        _args(algo_bundle, algo, "--sampler", "py-spy", "--out", str(out)), capsys
    )
    assert (code, stdout) == (1, "")
    assert err == (
        f"rustybt profile: py-spy record exited 1 without writing "
        f"{out / 'flamegraph.svg'}: Error: Permission Denied\n"
    )
    assert (out / "profile.pstats").is_file()  # the cProfile pass is kept
