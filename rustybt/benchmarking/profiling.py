"""Profile a call or a backtest: cProfile tables, a flame graph, a memory profile, raw stats.

:func:`profile_call` profiles any callable, :func:`profile_backtest` an algorithm file run on a
bundle (``rustybt profile`` on the command line). Everything goes into one output folder:

- ``profile.pstats``: cProfile's raw statistics (``python -m pstats``, snakeviz, ...);
- ``flamegraph.svg``: rendered from those statistics by :mod:`~rustybt.benchmarking.flamegraph`
  (an apportioned call tree, see its notes), or written by ``py-spy record`` when the sampler
  is ``py-spy`` (``speedscope.json`` with ``py_spy_format="speedscope"``);
- ``report.md``: the top functions by cumulative and by own time (calls, seconds, share of
  the total) and, with ``memory=True``, the tracemalloc profile
  (:mod:`~rustybt.benchmarking.memprofile`).

Design and invariants:
- Each measurement has a pass of its own, in this order, so none distorts another: the
  cProfile pass; then, with ``memory=True``, a tracemalloc pass (tracemalloc slows every
  allocation); then, with the ``py-spy`` sampler, py-spy samples ``rustybt run`` of the same
  backtest in a child process (a sampler sees no cProfile overhead). The callable therefore
  runs once or twice in process: it must be repeatable. The second pass finds imports done and
  module-level caches warm; the cProfile pass is the cold one. A backtest gets a fresh
  algorithm (and portal) per pass; an algorithm file's module is loaded once.
- The tables come straight from ``pstats`` (exact); shares are of the profiled call's
  duration under the profiler (:func:`~rustybt.benchmarking.profilereport.total_time`).
- Nothing is written before the cProfile pass has finished (the output folder is created
  first, and removed again when the call raises and the folder was new and is still empty);
  an exception of the profiled call propagates unchanged. ``py-spy`` missing is reported
  before anything runs (:class:`~rustybt.errors.ProfilerUnavailable`).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from rustybt.benchmarking.flamegraph import PROFILER_DISABLE, FuncKey, write_flamegraph
from rustybt.benchmarking.memprofile import trace_memory
from rustybt.benchmarking.profilereport import ProfileReport, top_functions, total_time
from rustybt.errors import InvalidProfileRequest, ProfilerUnavailable, ProfilingFailed

__all__ = [
    "PY_SPY_FORMATS",
    "SAMPLERS",
    "profile_backtest",
    "profile_call",
    "py_spy_executable",
]

#: Samplers of the flame graph: cProfile (our renderer) or py-spy (its own SVG).
SAMPLERS = ("cprofile", "py-spy")
#: py-spy output formats and the file each writes in the output folder.
PY_SPY_FORMATS = {"flamegraph": "flamegraph.svg", "speedscope": "speedscope.json"}
PSTATS_FILE = "profile.pstats"
FLAMEGRAPH_FILE = "flamegraph.svg"
REPORT_FILE = "report.md"
#: The interpreter's scripts folder (a virtual environment's ``bin``), searched after ``PATH``.
SCRIPTS_DIR = Path(sysconfig.get_path("scripts"))
_RUSTYBT_PARENT = str(Path(__file__).resolve().parents[2])


def _output_dir(out: str | Path) -> Path:
    path = Path(out).expanduser()
    if path.exists() and not path.is_dir():
        raise InvalidProfileRequest(f"output folder {path} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidProfileRequest(
            f"cannot create output folder {path}: {exc.strerror or exc}"
        ) from exc
    return path


def _check_top(top: int) -> None:
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InvalidProfileRequest(f"top must be an integer >= 1, not {top!r}")


def _run_profiled(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Any, pstats.Stats]:
    """``fn(*args, **kwargs)`` under cProfile (``fn`` is the root of the statistics); the
    profiler's own ``disable`` entry is taken out of the statistics and their total."""
    profiler = cProfile.Profile()
    try:
        profiler.enable()
    except ValueError as exc:  # another profiler (cProfile, a debugger's tracer) is active
        raise ProfilingFailed(f"cannot start cProfile: {exc}") from exc
    try:
        result = fn(*args, **kwargs)
    finally:
        profiler.disable()
    stats = pstats.Stats(profiler)
    raw: dict[FuncKey, Any] = stats.stats  # type: ignore[attr-defined]
    for key in [k for k in raw if k[0] == "~" and k[2] == PROFILER_DISABLE]:
        cc, nc, *_ = raw.pop(key)
        stats.prim_calls -= cc  # type: ignore[attr-defined]
        stats.total_calls -= nc  # type: ignore[attr-defined]
    total = 0.0
    for entry in raw.values():  # summed as pstats sums when it loads the file: same float
        total += entry[2]
    stats.total_tt = total  # type: ignore[attr-defined]
    return result, stats


def _profile(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    out: str | Path,
    *,
    title: str,
    top: int,
    memory: bool,
    flamegraph: bool,
) -> ProfileReport:
    _check_top(top)
    created = not Path(out).expanduser().exists()
    folder = _output_dir(out)
    try:
        result, stats = _run_profiled(fn, args, kwargs)
    except BaseException:
        if created and not any(folder.iterdir()):
            folder.rmdir()  # a failed call leaves no empty folder behind
        raise
    mem = trace_memory(lambda: fn(*args, **kwargs), top=top)[1] if memory else None
    files = {"pstats": folder / PSTATS_FILE}
    stats.dump_stats(files["pstats"])
    if flamegraph:
        files["flamegraph"] = write_flamegraph(stats, folder / FLAMEGRAPH_FILE, title=title)
    files["report"] = folder / REPORT_FILE
    report = ProfileReport(
        title=title,
        out=folder,
        sampler="cprofile",
        total_time=total_time(stats),
        by_cumulative=top_functions(stats, top, "cumulative"),
        by_own=top_functions(stats, top, "own"),
        memory=mem,
        files=files,
        result=result,
    )
    files["report"].write_text(report.to_markdown(), encoding="utf-8")
    return report


def profile_call(
    fn: Callable[..., Any],
    out: str | Path,
    *,
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
    top: int = 20,
    memory: bool = False,
    title: str | None = None,
) -> ProfileReport:
    """Profile ``fn(*args, **kwargs)`` and write the output folder ``out`` (module notes).

    Args:
        fn: The callable; with ``memory`` it runs twice (it must be repeatable).
        out: Output folder (created; the files named in the module notes are overwritten).
        args: Positional arguments of ``fn``.
        kwargs: Keyword arguments of ``fn``.
        top: Rows of each table and memory sites.
        memory: Also profile memory with tracemalloc (a second call).
        title: Heading of the report and the graph (default: ``fn``'s qualified name).

    Returns:
        The report; ``result`` is the return value of the cProfile pass's call.

    Raises:
        InvalidProfileRequest: ``out`` is a file or cannot be created; ``top`` < 1.
        ProfilingFailed: another profiler is active.
    """
    kw = dict(kwargs or {})
    name = title or getattr(fn, "__qualname__", None) or repr(fn)
    return _profile(fn, args, kw, out, title=name, top=top, memory=memory, flamegraph=True)


def py_spy_executable() -> str:
    """The path of the ``py-spy`` executable: on ``PATH``, else next to this interpreter.

    ``pip install py-spy`` into a virtual environment puts the executable in its ``bin``
    folder, which is not on ``PATH`` unless the environment is activated (``make test`` runs
    ``.venv/bin/python`` directly); that folder is :data:`SCRIPTS_DIR`.

    Raises:
        ProfilerUnavailable: there is no ``py-spy`` on ``PATH`` nor in :data:`SCRIPTS_DIR`.
    """
    exe = shutil.which("py-spy") or shutil.which("py-spy", path=str(SCRIPTS_DIR))
    if exe is None:
        raise ProfilerUnavailable(
            "py-spy is not installed (no py-spy executable on PATH): pip install py-spy, "
            "or use the cprofile sampler"
        )
    return exe


def _param_args(params: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidProfileRequest(
                f"params[{name!r}] = {value!r}: the py-spy sampler passes parameters to "
                "'rustybt run' as text, so only int, float and str values are possible"
            )
        out += ["--param", f"{name}={value}"]
    return out


def _py_spy_record(exe: str, output: Path, fmt: str, run_argv: list[str]) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_RUSTYBT_PARENT, env.get("PYTHONPATH")) if p)
    cmd = [
        exe,
        "record",
        "--format",
        fmt,
        "--output",
        str(output),
        "--",
        sys.executable,
        "-m",
        "rustybt",
        "run",
        *run_argv,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0 or not output.is_file():
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ProfilingFailed(
            f"py-spy record exited {proc.returncode} without writing {output}: {tail}"
        )


def profile_backtest(
    algofile: Any,
    bundle: Any,
    start: Any,
    end: Any,
    out: str | Path,
    *,
    top: int = 20,
    memory: bool = False,
    sampler: str = "cprofile",
    py_spy_format: str = "flamegraph",
    capital_base: Any = 10_000_000,
    data_frequency: str = "daily",
    params: Mapping[str, Any] | None = None,
    root: str | Path | None = None,
) -> ProfileReport:
    """Profile a backtest of an algorithm file on a bundle (:func:`rustybt.run_algorithm`).

    Args:
        algofile: Path of the algorithm file, or a loaded
            :class:`~rustybt.engine.algofile.AlgorithmFile`.
        bundle: A :class:`rustybt.Bundle`, or a bundle name (loaded from ``root``).
        start: First session.
        end: Last session.
        out: Output folder (module notes).
        top: Rows of each table and memory sites.
        memory: Also profile memory with tracemalloc (a second backtest).
        sampler: ``cprofile`` (flame graph from the cProfile pass) or ``py-spy`` (a third run,
            ``rustybt run`` in a child process sampled by py-spy).
        py_spy_format: ``flamegraph`` (SVG) or ``speedscope`` (JSON) for py-spy.
        capital_base: Starting cash.
        data_frequency: ``daily`` or ``minute``.
        params: ``context.params``.
        root: rustybt root for a bundle name.

    Raises:
        InvalidProfileRequest: an unknown sampler or format, a bad ``out`` or ``top``.
        ProfilerUnavailable: ``py-spy`` asked for and not installed (before anything runs).
        ProfilingFailed: py-spy failed, or another profiler is active.
        AlgorithmFileError, BundleNotFound, InvalidSimulation: as :func:`rustybt.run_algorithm`;
            an exception of the algorithm propagates.
    """
    from rustybt.data.bundles import Bundle, load
    from rustybt.engine.algofile import AlgorithmFile, load_algorithm_file
    from rustybt.engine.run import _session_bound, run_algorithm

    if sampler not in SAMPLERS:
        raise InvalidProfileRequest(f"sampler {sampler!r}: expected one of {', '.join(SAMPLERS)}")
    if py_spy_format not in PY_SPY_FORMATS:
        raise InvalidProfileRequest(
            f"py_spy_format {py_spy_format!r}: expected one of {', '.join(PY_SPY_FORMATS)}"
        )
    exe = py_spy_executable() if sampler == "py-spy" else None
    param_argv = _param_args(params or {}) if exe is not None else []
    algo = algofile if isinstance(algofile, AlgorithmFile) else load_algorithm_file(algofile)
    data = bundle if isinstance(bundle, Bundle) else load(str(bundle), root=root)
    first, last = (
        _session_bound(d, name).strftime("%Y-%m-%d") for d, name in ((start, "start"), (end, "end"))
    )

    def backtest() -> pd.DataFrame:
        return run_algorithm(
            first,
            last,
            bundle=data,
            algorithm=algo.algorithm(dict(params or {})),
            capital_base=capital_base,
            data_frequency=data_frequency,
        )

    name = data.name or Path(data.path).name
    title = f"{algo.path.name} on {name}, {first}..{last} ({data_frequency})"
    report = _profile(
        backtest, (), {}, out, title=title, top=top, memory=memory, flamegraph=exe is None
    )
    if exe is None:
        return report
    target = report.out / PY_SPY_FORMATS[py_spy_format]
    _py_spy_record(
        exe,
        target,
        py_spy_format,
        [
            "-f",
            str(algo.path),
            "-b",
            str(data.path),
            "-s",
            first,
            "-e",
            last,
            "--capital-base",
            str(capital_base),
            "--data-frequency",
            data_frequency,
            "--no-progress",
            *param_argv,
        ],
    )
    files = {**report.files, "flamegraph": target}
    final = ProfileReport(
        report.title,
        report.out,
        "py-spy",
        report.total_time,
        report.by_cumulative,
        report.by_own,
        report.memory,
        files,
        report.result,
    )
    files["report"].write_text(final.to_markdown(), encoding="utf-8")
    return final
