"""``rustybt run``: backtest an algorithm file on a bundle, like ``zipline run``.

rustybt run -f algo.py -b BUNDLE -s START -e END [--capital-base N]
            [--data-frequency daily|minute] [-o results.parquet] [--plot equity.png]
            [--param name=value ...] [--no-progress] [--traceback]

The file defines ``initialize(context)`` and any of ``handle_data``, ``before_trading_start``
and ``analyze`` (zipline's shape; ``from rustybt.api import ...`` works). ``--param name=value``
fills ``context.params`` (values parsed as int, then float, else kept as a string).

Output: progress on stderr (a bar with ETA on a terminal; elsewhere one line at the end, never
``\\r`` frames); a short summary on stdout. Exit status: 0 done; 1 the algorithm raised (one
line naming its file and line; ``--traceback`` prints the whole traceback) or an output file
could not be written; 2 bad arguments (file, bundle, dates, parameters); 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import math
import sys
import traceback
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

__all__ = ["add_backtest_arguments", "add_commands", "parse_params"]

#: Seconds before the terminal progress bar first appears (tests set 0).
PROGRESS_DELAY_S = 0.5


def add_backtest_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of every command that runs an algorithm file (``run``, ``profile``):
    the file, bundle, dates, capital, frequency, ``--param`` and ``--traceback``; what they
    mean is checked in one place, :func:`prepare`."""
    p.add_argument(
        "-f",
        "--algofile",
        required=True,
        metavar="FILE",
        help="the algorithm file (defines initialize, handle_data, ...)",
    )
    p.add_argument(
        "-b", "--bundle", required=True, help="bundle name, or path of a bundle version directory"
    )
    p.add_argument("-s", "--start", required=True, help="first session (YYYY-MM-DD)")
    p.add_argument("-e", "--end", required=True, help="last session (YYYY-MM-DD)")
    p.add_argument(
        "--capital-base", default="10000000", metavar="N", help="starting cash (default 10000000)"
    )
    p.add_argument(
        "--data-frequency",
        choices=("daily", "minute"),
        default="daily",
        help="bar frequency of the simulation (default daily)",
    )
    p.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value for context.params (repeatable)",
    )
    p.add_argument(
        "--traceback",
        action="store_true",
        help="print the full traceback when the algorithm raises",
    )


def add_commands(sub: Any, bundles_sub: Any) -> None:
    """Register ``rustybt run``."""
    _ = bundles_sub
    p = sub.add_parser(
        "run",
        help="backtest an algorithm file on a bundle (zipline's 'zipline run')",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_backtest_arguments(p)
    p.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="FILE",
        help="write the results frame as Parquet (read it with rustybt.load_results)",
    )
    p.add_argument(
        "--plot", default=None, metavar="PNG", help="write the equity curve and drawdown as a PNG"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress output")
    p.set_defaults(func=_cmd_run)


def _fail(message: str, code: int) -> int:
    print(f"rustybt run: {message}", file=sys.stderr)
    return code


def _value(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_params(items: list[str]) -> dict[str, Any]:
    """``['n=3', 'w=0.5', 'tag=x']`` → ``{'n': 3, 'w': 0.5, 'tag': 'x'}``.

    Raises:
        ValueError: an item without ``=``, a name that is not an identifier, or a name given
            twice (the message names the item).
    """
    out: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            raise ValueError(f"--param {item!r}: expected NAME=VALUE")
        if not name.isidentifier():
            raise ValueError(
                f"--param {item!r}: {name!r} is not a parameter name (letters, digits, '_')"
            )
        if name in out:
            raise ValueError(f"--param {item!r}: {name} is given twice")
        out[name] = _value(text)
    return out


def _capital(text: str) -> Decimal:
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        raise ValueError(f"--capital-base {text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"--capital-base must be a finite number > 0, not {text!r}")
    return value


def _load_bundle(args: argparse.Namespace) -> Any:
    from rustybt.data.bundles import Bundle, load

    path = Path(args.bundle)
    if (path / "manifest.json").exists():
        return Bundle(path)
    return load(args.bundle, root=getattr(args, "root", None))


def open_bundle(args: argparse.Namespace) -> tuple[Any, str | None]:
    """``(bundle, None)``, or ``(None, message)`` when ``--bundle`` cannot be loaded, an output
    path is refused, or the bundle lacks ``--data-frequency`` bars (shared by ``optimize``)."""
    from rustybt.errors import RustybtError

    try:
        bundle = _load_bundle(args)
    except (OSError, KeyError, RustybtError) as exc:
        return None, str(exc).strip("'\"")
    problem = _check_outputs(args, bundle)
    if problem is not None:
        return None, problem
    if args.data_frequency not in bundle.frequencies:
        return None, (f"bundle {args.bundle} has no {args.data_frequency} bars (it has "
                      f"{', '.join(bundle.frequencies)}): choose --data-frequency "
                      f"{bundle.frequencies[0]}")
    return bundle, None


def prepare(args: argparse.Namespace) -> tuple[tuple[Any, Any, Any, Any] | None, int, str]:
    """``((bundle, algofile, portal, sessions), 0, "")``, or ``(None, exit code, message)``:
    what ``run`` and ``optimize`` both need before simulating (``--traceback``, when the
    command has it, prints an algorithm file's own error first)."""
    from rustybt.data.portal.portal import ArrowDataPortal
    from rustybt.engine.algofile import load_algorithm_file
    from rustybt.engine.clock import SessionClock
    from rustybt.engine.run import resolve_sessions
    from rustybt.errors import AlgorithmFileError, InvalidSimulation

    bundle, problem = open_bundle(args)
    if problem is not None:
        return None, 2, problem
    try:
        algofile = load_algorithm_file(args.algofile)
    except AlgorithmFileError as exc:
        if getattr(args, "traceback", False) and exc.__cause__ is not None:
            traceback.print_exception(exc.__cause__, file=sys.stderr)
        return None, 2, str(exc)
    except KeyboardInterrupt:
        return None, 130, "interrupted"
    try:
        portal = ArrowDataPortal(bundle)
        # the portal's session arrays: no exchange calendar is built for the lookup
        sessions = resolve_sessions(SessionClock(portal), args.start, args.end, portal.sessions)
    except InvalidSimulation as exc:
        return None, 2, str(exc)
    return (bundle, algofile, portal, sessions), 0, ""


def _check_outputs(args: argparse.Namespace, bundle: Any) -> str | None:
    from rustybt.cli._sql import check_output
    from rustybt.data.bundles import bundle_root

    protected = [bundle_root(getattr(args, "root", None)) / "bundles", Path(bundle.path).parent]
    for flag, value in (("--output", args.output), ("--plot", args.plot)):
        if value is not None:
            problem = check_output(value, protected)
            if problem is not None:
                return problem.replace("--output", flag)
    if (
        args.output is not None
        and args.plot is not None
        and Path(args.output).resolve() == Path(args.plot).resolve()
    ):
        return f"--output and --plot name the same file {args.output}"
    return None


def _algorithm_failure(exc: BaseException, path: Path, show_traceback: bool) -> int:
    from rustybt.engine.algofile import user_frame

    if show_traceback:
        traceback.print_exception(exc, file=sys.stderr)
    frame = user_frame(exc, path)
    where = f"{path.name}, line {frame.lineno}, in {frame.name}: " if frame is not None else ""
    hint = "" if show_traceback else " (--traceback for details)"
    return _fail(f"{where}{type(exc).__name__}: {exc}{hint}", 1)


def _number(value: float, fmt: str) -> str:
    return "n/a" if not math.isfinite(value) else format(value, fmt)


def _print_summary(perf: Any, algofile: Path, bundle: Any, frequency: str) -> None:
    from rustybt.engine.metrics import summary

    stats = summary(perf)
    first, last = perf.index[0].date(), perf.index[-1].date()
    n_txns = int(sum(len(t) for t in perf["transactions"]))
    name = getattr(bundle, "name", None) or Path(bundle.path).name
    print(f"{algofile.name} on {name}: {first}..{last}, {len(perf)} sessions ({frequency})")
    rows = [
        ("final portfolio value", _number(float(perf["portfolio_value"].iloc[-1]), ",.2f")),
        ("total return", _number(100 * stats["total_return"], "+.2f") + "%"),
        ("annual volatility", _number(100 * stats["annual_volatility"], ".2f") + "%"),
        ("sharpe", _number(stats["sharpe"], ".3f")),
        ("max drawdown", _number(100 * stats["max_drawdown"], ".2f") + "%"),
        ("transactions", str(n_txns)),
    ]
    for label, text in rows:
        print(f"  {label:<22}{text.replace('n/a%', 'n/a'):>18}")


def _cmd_run(args: argparse.Namespace) -> int:
    try:
        params = parse_params(args.param)
        capital = _capital(args.capital_base)
    except ValueError as exc:
        return _fail(str(exc), 2)
    ready, code, problem = prepare(args)
    if ready is None:
        return _fail(problem, code)
    bundle, algofile, portal, sessions = ready
    try:
        return _simulate(args, bundle, portal, sessions, algofile, params, capital)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:
        return _algorithm_failure(exc, algofile.path, args.traceback)


def _simulate(
    args: argparse.Namespace,
    bundle: Any,
    portal: Any,
    sessions: Any,
    algofile: Any,
    params: dict[str, Any],
    capital: Decimal,
) -> int:
    from rustybt._progress import Progress
    from rustybt.engine.results import plot_results, save_results
    from rustybt.engine.run import run_algorithm
    from rustybt.errors import ResultsError

    with Progress(
        len(sessions),
        "backtest",
        enabled=not args.no_progress,
        unit="session",
        delay=PROGRESS_DELAY_S,
    ) as bar:
        perf = run_algorithm(
            sessions[0],
            sessions[-1],
            capital_base=capital,
            data_portal=portal,
            data_frequency=args.data_frequency,
            algorithm=algofile.algorithm(params),
            progress=lambda done: bar.update(done - bar.count),
        )
    for flag, target, write in (
        ("--output", args.output, save_results),
        ("--plot", args.plot, plot_results),
    ):
        if target is None:
            continue
        try:
            write(perf, target)
        except ResultsError as exc:
            return _fail(f"cannot write {flag} {target}: {exc}", 1)
        except OSError as exc:
            return _fail(f"cannot write {flag} {target}: {exc.strerror or exc}", 1)
    _print_summary(perf, algofile.path, bundle, args.data_frequency)
    for flag, target in (("results", args.output), ("plot", args.plot)):
        if target is not None:
            print(f"{flag}: {target}")
    return 0
