"""Profiling (rustybt.benchmarking.profiling): the flame graph is well-formed and its frames
nest, the tables are pstats' own numbers, tracemalloc finds the allocating line, and bad
requests are refused before anything runs."""

from __future__ import annotations

import cProfile
import inspect
import itertools
import pstats
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from rustybt import Bundle
from rustybt.benchmarking import (
    FlameNode,
    call_tree,
    profile_backtest,
    profile_call,
    profiling,
    render_svg,
    top_functions,
    total_time,
)
from rustybt.benchmarking.flamegraph import module_family
from rustybt.errors import (
    BenchmarkError,
    InvalidProfileRequest,
    InvalidSimulation,
    ProfilerUnavailable,
    ProfilingFailed,
)

SVG = "{http://www.w3.org/2000/svg}"


def _leaf_square_sum(n: int) -> int:
    return sum([i * i for i in range(n)])


def _shared_helper(n: int) -> list[int]:
    return [*sorted(range(n, 0, -1)), _leaf_square_sum(n // 4)]


def _heavy_branch() -> int:
    return len(_shared_helper(120_000))


def _light_branch() -> int:
    return len(_shared_helper(30_000))


def _recursive_countdown(n: int) -> int:
    return 0 if n == 0 else len(sorted(range(3000, 0, -1))) + _recursive_countdown(n - 1)


def _profiled_work() -> int:
    return _heavy_branch() + _light_branch() + _recursive_countdown(40)


def _allocate_block() -> bytearray:
    block = bytearray(12 * 2**20)  # MARKER: the deliberate big allocation
    return block


def _profile(tmp_path: Path, **kw: Any) -> Any:
    return profile_call(_profiled_work, tmp_path / "out", **kw)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One profile of ``_profiled_work`` (top 4), shared by the tests that only read it."""
    return _profile(tmp_path_factory.mktemp("profile"), top=4)


def _walk(node: FlameNode, path: tuple[Any, ...] = ()) -> Any:
    yield node, path
    for child in node.children:
        yield from _walk(child, (*path, node.key))


def test_flamegraph_is_wellformed_svg_naming_the_profiled_functions(report: Any) -> None:
    svg = report.files["flamegraph"]
    assert svg == report.out / "flamegraph.svg"
    root = ET.parse(svg).getroot()  # raises on malformed XML
    assert root.tag == f"{SVG}svg"
    titles = [t.text or "" for t in root.iter(f"{SVG}title")]
    for name in (
        "_profiled_work",
        "_heavy_branch",
        "_light_branch",
        "_shared_helper",
        "_leaf_square_sum",
        "_recursive_countdown",
    ):
        assert any(t.startswith(name + " (test_profiling.py:") for t in titles), name
    assert report.result == _profiled_work()
    assert {p.name for p in report.out.iterdir()} == {
        "flamegraph.svg",
        "profile.pstats",
        "report.md",
    }


def test_flame_frames_nest_and_never_exceed_their_parent(report: Any) -> None:
    stats = pstats.Stats(str(report.files["pstats"]))
    tree = call_tree(stats)
    assert tree.time == pytest.approx(total_time(stats), rel=0.01)
    for node, path in _walk(tree):
        assert sum(c.time for c in node.children) <= node.time * (1 + 1e-9)
        assert all(c.time <= node.time * (1 + 1e-9) for c in node.children)
        assert node.key not in path  # recursion is not expanded again
    # the SVG's geometry: every frame lies on a frame of the row below, and the frames on one
    # parent add up to no more than its width
    rects = [
        r
        for r in ET.parse(report.files["flamegraph"]).getroot().iter(f"{SVG}rect")
        if r.get("height") == "16"
    ]
    rows: dict[float, list[tuple[float, float]]] = {}
    for r in rects:
        rows.setdefault(float(r.get("y", 0)), []).append(
            (float(r.get("x", 0)), float(r.get("width", 0)))
        )
    ys = sorted(rows, reverse=True)  # the root at the bottom
    assert len(rows[ys[0]]) == 1 and rows[ys[0]][0][1] == pytest.approx(1180, abs=0.01)
    for below, above in itertools.pairwise(ys):
        for px, pw in rows[below]:
            inside = [(x, w) for x, w in rows[above] if px - 0.01 <= x < px + pw - 0.01]
            assert all(x + w <= px + pw + 0.01 for x, w in inside)
            assert sum(w for _, w in inside) <= pw + 0.01
        for x, _ in rows[above]:
            assert any(px - 0.01 <= x < px + pw - 0.01 for px, pw in rows[below])


def test_shared_callee_time_is_apportioned_by_its_callers(report: Any) -> None:
    stats = pstats.Stats(str(report.files["pstats"]))
    raw = stats.stats  # type: ignore[attr-defined]
    key = {k[2]: k for k in raw}
    shared, leaf = key["_shared_helper"], key["_leaf_square_sum"]
    tree = call_tree(stats, min_fraction=0.0)
    work = tree.children[0]
    assert work.label.startswith("_profiled_work")
    for branch_name in ("_heavy_branch", "_light_branch"):
        branch = next(c for c in work.children if c.key == key[branch_name])
        helper = next(c for c in branch.children if c.key == shared)
        # one level: exactly pstats' per-caller cumulative time
        assert helper.time == pytest.approx(raw[shared][4][key[branch_name]][3], rel=1e-9)
        # below it: the helper's callees in the helper's overall proportions
        expected = raw[leaf][4][shared][3] * helper.time / raw[shared][3]
        assert next(c for c in helper.children if c.key == leaf).time == pytest.approx(
            expected, rel=1e-9
        )


def test_render_svg_escapes_labels() -> None:
    node = FlameNode(
        None,
        "all",
        "all",
        2.0,
        [FlameNode(("~", 0, "<built-in & 'odd'>"), "<built-in & 'odd'>", "builtins", 1.0)],
    )
    root = ET.fromstring(render_svg(node, title="a <b> & c").encode())
    assert any("<built-in & 'odd'>" in (t.text or "") for t in root.iter(f"{SVG}title"))


def test_module_families() -> None:
    import json

    import rustybt.engine.run

    assert module_family(rustybt.engine.run.__file__) == "rustybt.engine"
    assert module_family(pd.__file__) == "pandas"
    assert module_family(json.__file__) == "stdlib"
    assert module_family("~") == "builtins"
    assert module_family("/somewhere/my_algo.py") == "user code"


def test_top_tables_are_pstats_numbers(report: Any) -> None:
    stats = pstats.Stats(str(report.files["pstats"]))
    raw = stats.stats  # type: ignore[attr-defined]
    total = total_time(stats)
    assert report.total_time == pytest.approx(total)
    for rows, index in ((report.by_cumulative, 3), (report.by_own, 2)):
        assert len(rows) == 4
        expected = sorted(raw.items(), key=lambda kv: (-kv[1][index], kv[0]))[:4]
        assert [r.key for r in rows] == [k for k, _ in expected]
        for r in rows:
            cc, nc, tt, ct, _ = raw[r.key]
            assert (r.calls, r.primitive_calls, r.own_time, r.cumulative_time) == (nc, cc, tt, ct)
            assert r.own_share == pytest.approx(tt / total)
            assert r.cumulative_share == pytest.approx(ct / total)
    assert report.by_cumulative[0].key[2] == "_profiled_work"
    assert report.by_cumulative[0].cumulative_share == pytest.approx(1.0, abs=0.01)
    assert top_functions(stats, 4, "own") == report.by_own
    recursive = top_functions(stats, 100)
    countdown = next(r for r in recursive if r.key[2] == "_recursive_countdown")
    assert countdown.calls_text == "41/1"
    md = report.files["report"].read_text()
    first = report.by_cumulative[0]
    assert (
        f"| 1 | `_profiled_work` | `{first.location}` | 1 | {first.own_time:.6f} "
        f"| {100 * first.own_share:.2f} | {first.cumulative_time:.6f} "
        f"| {100 * first.cumulative_share:.2f} |"
    ) in md
    console = report.to_console()
    assert "top 4 by cumulative time" in console and "top 4 by own time" in console
    assert "_profiled_work" in console


def test_tracemalloc_finds_the_big_allocation_at_its_line(tmp_path: Path) -> None:
    report = profile_call(_allocate_block, tmp_path / "mem", memory=True, top=3)
    source, first = inspect.getsourcelines(_allocate_block)
    line = first + next(i for i, text in enumerate(source) if "MARKER" in text)
    mem = report.memory
    assert mem is not None
    assert mem.peak >= 12 * 2**20
    top = mem.sites[0]
    assert (Path(top.filename).resolve(), top.line) == (Path(__file__).resolve(), line)
    assert top.size >= 12 * 2**20
    assert len(mem.sites) <= 3
    md = report.files["report"].read_text()
    assert "## Memory (tracemalloc)" in md and f"test_profiling.py:{line}`" in md


def test_no_memory_section_without_memory(tmp_path: Path) -> None:
    report = _profile(tmp_path, top=2)
    assert report.memory is None
    assert "## Memory" not in report.files["report"].read_text()


def test_bad_requests_are_refused_before_running(tmp_path: Path) -> None:
    calls: list[int] = []
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    with pytest.raises(InvalidProfileRequest, match=f"output folder {a_file} is a file"):
        profile_call(lambda: calls.append(1), a_file)
    with pytest.raises(InvalidProfileRequest, match="top must be an integer >= 1, not 0"):
        profile_call(lambda: calls.append(1), tmp_path / "out", top=0)
    assert calls == []
    assert not (tmp_path / "out").exists()


def test_another_active_profiler_is_a_clear_error(tmp_path: Path) -> None:
    outer = cProfile.Profile()
    outer.enable()
    try:
        with pytest.raises(ProfilingFailed, match="cannot start cProfile") as info:
            profile_call(_leaf_square_sum, tmp_path / "out", args=(10,))
    finally:
        outer.disable()
    assert isinstance(info.value, BenchmarkError) and isinstance(info.value, RuntimeError)


def test_exception_of_the_profiled_call_propagates(tmp_path: Path) -> None:
    def boom() -> None:
        raise KeyError("nope")

    with pytest.raises(KeyError, match="nope"):
        profile_call(boom, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # the folder it made is removed again
    kept = tmp_path / "kept"
    kept.mkdir()
    with pytest.raises(KeyError, match="nope"):
        profile_call(boom, kept)
    assert kept.is_dir() and not any(kept.iterdir())


BACKTEST = """\
from rustybt.api import order_target_percent, symbol


def initialize(context):
    context.asset = symbol("S1")


def handle_data(context, data):
    order_target_percent(context.asset, context.params["w"])
"""


def test_profile_backtest_profiles_run_algorithm(algo_bundle: Bundle, tmp_path: Path) -> None:
    algo = tmp_path / "algo.py"
    algo.write_text(BACKTEST)
    report = profile_backtest(
        algo,
        algo_bundle,
        "2023-02-01",
        pd.Timestamp("2023-02-28"),
        tmp_path / "out",
        top=3,
        params={"w": 0.5},
        capital_base=50_000,
    )
    perf = report.result
    assert len(perf) == 19 and perf["portfolio_value"].iloc[0] == pytest.approx(50_000, rel=0.01)
    assert report.title == "algo.py on algo, 2023-02-01..2023-02-28 (daily)"
    assert report.by_cumulative[0].key[2] == "backtest"
    assert report.by_cumulative[1].key[2] == "run_algorithm"
    assert report.sampler == "cprofile" and report.files["flamegraph"].is_file()


def test_profile_backtest_refuses_bad_requests_before_running(
    algo_bundle: Bundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    algo = tmp_path / "algo.py"
    algo.write_text(BACKTEST)
    out = tmp_path / "out"
    with pytest.raises(InvalidProfileRequest, match="sampler 'perf': expected one of cprofile"):
        profile_backtest(algo, algo_bundle, "2023-02-01", "2023-02-28", out, sampler="perf")
    with pytest.raises(InvalidSimulation, match="start 'someday' is not a date"):
        profile_backtest(algo, algo_bundle, "someday", "2023-02-28", out)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setattr(profiling, "SCRIPTS_DIR", tmp_path / "empty-bin")
    with pytest.raises(ProfilerUnavailable, match="py-spy is not installed") as info:
        profile_backtest(algo, algo_bundle, "2023-02-01", "2023-02-28", out, sampler="py-spy")
    assert isinstance(info.value, ImportError)
    assert not out.exists()


def test_legend_wraps_within_the_width_and_above_the_frames() -> None:
    kids = [
        FlameNode((f"/x/site-packages/pkg{i}/m.py", 1, f"f{i}"), f"f{i}", f"family-{i:02d}", 1.0)
        for i in range(30)
    ]
    root = ET.fromstring(render_svg(FlameNode(None, "all", "all", 30.0, kids)).encode())
    legend = [t for t in root.iter(f"{SVG}text") if (t.text or "").startswith("family-")]
    assert len(legend) == 30 and len({t.get("y") for t in legend}) > 1
    assert all(float(t.get("x", 0)) + 6.6 * 9 <= 1200 for t in legend)
    frames = [r for r in root.iter(f"{SVG}rect") if r.get("height") == "16"]
    assert min(float(r.get("y", 0)) for r in frames) > max(float(t.get("y", 0)) for t in legend)
