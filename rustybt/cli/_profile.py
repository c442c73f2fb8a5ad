"""``rustybt profile``: profile a backtest of an algorithm file on a bundle.

rustybt profile -f algo.py -b BUNDLE -s START -e END [--out DIR] [--top N] [--memory]
                [--sampler cprofile|py-spy] [--py-spy-format flamegraph|speedscope]
                [--capital-base N] [--data-frequency daily|minute] [--param name=value ...]
                [--traceback]

Runs the backtest ``rustybt run`` would run under cProfile and writes, into the folder
``--out`` (default ``profile-<algorithm file's stem>``): ``profile.pstats`` (the raw
statistics), ``flamegraph.svg`` (a flame graph rendered from them; with ``--sampler py-spy``,
py-spy's own graph of a separate ``rustybt run``, or ``speedscope.json``), ``report.md`` (the
top ``--top`` functions by cumulative and by own time; with ``--memory``, the tracemalloc peak
and top allocation sites of another run). The same tables are printed on stdout.

Exit status: 0 done; 1 the algorithm raised (one line naming its file and line) or a profiler
failed; 2 bad arguments (file, bundle, dates, parameters, ``--out``, ``--top``, ``--sampler``,
py-spy not installed); 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import Any

from rustybt.cli._run import add_backtest_arguments

__all__ = ["add_commands"]


def add_commands(sub: Any, bundles_sub: Any) -> None:
    """Register ``rustybt profile`` (importing nothing heavy: the parser is built at every
    start of the CLI; the choices are checked against the library's when the command runs)."""
    _ = bundles_sub
    p = sub.add_parser(
        "profile",
        help="profile a backtest: cProfile tables, flame graph, memory (tracemalloc)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_backtest_arguments(p)
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output folder (default profile-<algorithm file's stem>; created)",
    )
    p.add_argument("--top", default="20", metavar="N", help="rows of each table (default 20)")
    p.add_argument(
        "--memory", action="store_true", help="also profile memory with tracemalloc (a second run)"
    )
    p.add_argument(
        "--sampler",
        default="cprofile",
        metavar="NAME",
        help="who draws the flame graph: cprofile or py-spy (default cprofile)",
    )
    p.add_argument(
        "--py-spy-format",
        default="flamegraph",
        metavar="FORMAT",
        help="py-spy's output: flamegraph or speedscope (default flamegraph)",
    )
    # prepare() (shared with run) checks these outputs; profile writes only its folder
    p.set_defaults(func=_cmd_profile, output=None, plot=None)


def _fail(message: str, code: int) -> int:
    print(f"rustybt profile: {message}", file=sys.stderr)
    return code


def _top(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"--top {text!r} is not an integer") from None
    if value < 1:
        raise ValueError(f"--top must be >= 1, not {value}")
    return value


def _check_choices(args: argparse.Namespace) -> None:
    from rustybt.benchmarking.profiling import PY_SPY_FORMATS, SAMPLERS

    if args.sampler not in SAMPLERS:
        raise ValueError(f"--sampler {args.sampler!r}: expected one of {', '.join(SAMPLERS)}")
    if args.py_spy_format not in PY_SPY_FORMATS:
        raise ValueError(
            f"--py-spy-format {args.py_spy_format!r}: expected one of {', '.join(PY_SPY_FORMATS)}"
        )
    if args.sampler == "py-spy":
        from rustybt.benchmarking.profiling import py_spy_executable
        from rustybt.errors import ProfilerUnavailable

        try:
            py_spy_executable()
        except ProfilerUnavailable as exc:
            raise ValueError(f"--sampler py-spy: {exc}") from None


def _out_problem(out: Path, bundle: Any, root: str | None) -> str | None:
    from rustybt.data.bundles import bundle_root

    resolved = out.expanduser().resolve()
    for folder in (bundle_root(root) / "bundles", Path(bundle.path).parent):
        folder = folder.expanduser().resolve()
        if resolved == folder or resolved.is_relative_to(folder):
            return (
                f"refusing to write --out {out}: it is inside the bundles directory {folder}, "
                "and writing there would change a bundle; choose a folder outside it"
            )
    if out.exists() and not out.is_dir():
        return f"--out {out} is a file, not a folder"
    return None


def _cmd_profile(args: argparse.Namespace) -> int:
    from rustybt.cli._run import _capital, parse_params, prepare

    try:
        top = _top(args.top)
        _check_choices(args)
        params = parse_params(args.param)
        capital = _capital(args.capital_base)
    except ValueError as exc:
        return _fail(str(exc), 2)
    ready, code, problem = prepare(args)
    if ready is None:
        return _fail(problem, code)
    bundle, algofile, _portal, sessions = ready
    out = Path(args.out if args.out is not None else f"profile-{algofile.path.stem}")
    refused = _out_problem(out, bundle, getattr(args, "root", None))
    if refused is not None:
        return _fail(refused, 2)
    return _profile(args, bundle, algofile, sessions, out, top, params, capital)


def _profile(
    args: argparse.Namespace,
    bundle: Any,
    algofile: Any,
    sessions: Any,
    out: Path,
    top: int,
    params: dict[str, Any],
    capital: Any,
) -> int:
    from rustybt.benchmarking.profiling import profile_backtest
    from rustybt.engine.algofile import user_frame
    from rustybt.errors import InvalidProfileRequest, ProfilingFailed

    try:
        report = profile_backtest(
            algofile,
            bundle,
            sessions[0],
            sessions[-1],
            out,
            top=top,
            memory=args.memory,
            sampler=args.sampler,
            py_spy_format=args.py_spy_format,
            capital_base=capital,
            data_frequency=args.data_frequency,
            params=params,
        )
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except InvalidProfileRequest as exc:
        return _fail(f"--out: {exc}" if "output folder" in str(exc) else str(exc), 2)
    except ProfilingFailed as exc:
        return _fail(str(exc), 1)
    except Exception as exc:
        if args.traceback:
            traceback.print_exception(exc, file=sys.stderr)
        frame = user_frame(exc, algofile.path)
        where = f"{algofile.path.name}, line {frame.lineno}, in {frame.name}: " if frame else ""
        hint = "" if args.traceback else " (--traceback for details)"
        return _fail(f"{where}{type(exc).__name__}: {exc}{hint}", 1)
    print(report.to_console(), end="")
    print()
    for name, path in report.files.items():
        print(f"{name}: {path}")
    return 0
