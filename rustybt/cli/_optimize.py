"""``rustybt optimize``: search an algorithm file's parameters on a bundle.

rustybt optimize -f algo.py -b BUNDLE -s START -e END --param short=5:50:5 --param long=60:240:20
                 [--constraint "short < long"] [--search grid|random|bayes] [--n-trials N]
                 [--seed S] [--objective sharpe] [--minimize] [--workers N]
                 [--backend serial|processes|ray] [-o trials.parquet] [--plot heatmap.png]
                 [--top K] [--capital-base N] [--data-frequency daily|minute] [--no-progress]

The file is an ordinary ``rustybt run`` file whose ``initialize(context)`` reads its parameters
from ``context.params``. ``--param`` takes ``NAME=LOW:HIGH[:STEP]`` (integers when every part
is one, else floats), ``NAME=A,B,C`` (choices) or ``NAME=VALUE`` (fixed). ``--constraint`` is
a Python expression over the parameter names; points where it is false are skipped. Searches
and backends are looked up by name in :mod:`rustybt.optimization.registry`; ``--backend``
defaults to ``serial`` for one worker and ``processes`` for more.

Output: progress on stderr (a bar on a terminal, one line elsewhere); on stdout the best
parameters and a table of the ``--top`` trials; ``-o`` writes every trial (one row each: a
column per parameter and per metric, ``value``, ``status``, ``error``, ``duration``,
``worker``, ...) as Parquet. A failing trial is recorded with its error and the search goes on.
Exit status: 0 done (at least one trial finished); 1 no trial finished, or an output could not
be written; 2 bad arguments (file, bundle, dates, parameters, search, backend, objective);
130 Ctrl-C (the trials finished so far are still written to ``-o``).
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any

__all__ = ["ExpressionConstraint", "add_commands"]


def add_commands(sub: Any, bundles_sub: Any) -> None:
    """Register ``rustybt optimize``."""
    _ = bundles_sub
    p = sub.add_parser(
        "optimize",
        help="search an algorithm file's parameters on a bundle (grid, random, Bayesian)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-f", "--algofile", required=True, metavar="FILE",
                   help="the algorithm file (initialize reads context.params)")
    p.add_argument("-b", "--bundle", required=True, help="bundle name")
    p.add_argument("-s", "--start", required=True, help="first session (YYYY-MM-DD)")
    p.add_argument("-e", "--end", required=True, help="last session (YYYY-MM-DD)")
    p.add_argument("--param", "-p", action="append", default=[], metavar="SPEC",
                   help="NAME=LOW:HIGH[:STEP], NAME=A,B,C or NAME=VALUE (repeatable)")
    p.add_argument("--constraint", action="append", default=[], metavar="EXPR",
                   help="skip points where the expression is false, e.g. 'short < long' "
                   "(repeatable)")
    p.add_argument("--search", default="grid",
                   help="search strategy: grid, random or bayes (default grid)")
    p.add_argument("--n-trials", type=int, default=None, metavar="N",
                   help="number of trials (random and bayes need it; caps a grid)")
    p.add_argument("--seed", type=int, default=0, help="seed of the search (default 0)")
    p.add_argument("--objective", default="sharpe",
                   help="metric to optimise: sharpe, sortino, calmar, total_return, "
                   "annual_return, max_drawdown, annual_volatility (default sharpe)")
    p.add_argument("--minimize", action="store_true", help="minimise the objective")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="trials run at once (default 1)")
    p.add_argument("--backend", default=None,
                   help="serial, processes or ray (default: serial for one worker, "
                   "processes for more)")
    p.add_argument("-o", "--output", default=None, metavar="FILE",
                   help="write every trial as Parquet")
    p.add_argument("--plot", default=None, metavar="PNG",
                   help="write a heatmap of the objective over two parameters as a PNG")
    p.add_argument("--top", type=int, default=5, metavar="K",
                   help="trials shown in the table (default 5)")
    p.add_argument("--capital-base", default="10000000", metavar="N",
                   help="starting cash (default 10000000)")
    p.add_argument("--data-frequency", choices=("daily", "minute"), default="daily",
                   help="bar frequency of the simulation (default daily)")
    p.add_argument("--no-progress", action="store_true", help="no progress output")
    p.set_defaults(func=_cmd_optimize)


def _fail(message: str, code: int) -> int:
    print(f"rustybt optimize: {message}", file=sys.stderr)
    return code


@dataclass(frozen=True)
class ExpressionConstraint:
    """A ``--constraint``: a Python expression over parameter names, true where allowed.

    Only the parameters are in scope (no builtins). Picklable (it keeps its text).

    Raises:
        ValueError: the text does not compile, or names something that is not a parameter.
    """

    text: str
    names: tuple[str, ...]
    _code: CodeType = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            code = compile(self.text, "<--constraint>", "eval")
        except SyntaxError as exc:
            raise ValueError(f"--constraint {self.text!r} is not an expression: {exc.msg}"
                             ) from None
        unknown = [n for n in code.co_names if n not in self.names]
        if unknown:
            raise ValueError(f"--constraint {self.text!r}: {unknown[0]!r} is not a parameter "
                             f"(parameters: {', '.join(self.names)})")
        object.__setattr__(self, "_code", code)

    def __call__(self, params: dict[str, Any]) -> bool:
        return bool(eval(self._code, {"__builtins__": {}}, dict(params)))

    def __reduce__(self) -> tuple[Any, ...]:
        return (ExpressionConstraint, (self.text, self.names))


def _space(args: argparse.Namespace) -> Any:
    from rustybt.optimization import METRICS, ParameterSpace
    from rustybt.optimization.results import FIXED

    if not args.param:
        raise ValueError("give at least one --param NAME=LOW:HIGH[:STEP]")
    space = ParameterSpace.parse(args.param)
    clash = [n for n in space.names if n in METRICS or n in FIXED]
    if clash:
        raise ValueError(f"--param {clash[0]!r}: the name is taken by a column of the trials "
                         "table; rename the parameter")
    space.constraints.extend(ExpressionConstraint(t, tuple(space.names))
                             for t in args.constraint)
    return space


def _plan(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    """Space, sampler, executor and objective from the arguments (ValueError: exit 2)."""
    from rustybt.optimization import METRICS, Objective
    from rustybt.optimization.registry import new_executor, new_sampler

    space = _space(args)
    if args.workers < 1:
        raise ValueError(f"--workers must be >= 1, not {args.workers}")
    if args.n_trials is not None and args.n_trials < 1:
        raise ValueError(f"--n-trials must be >= 1, not {args.n_trials}")
    if args.top < 0:
        raise ValueError(f"--top must be >= 0, not {args.top}")
    if args.objective not in METRICS:
        raise ValueError(f"--objective {args.objective!r} is not a metric (one of "
                         f"{', '.join(METRICS)})")
    if args.plot is not None:
        varying = [n for n, p in space.params.items() if len(_values(p)) != 1]
        if len(varying) != 2:
            raise ValueError(f"--plot draws a heatmap over two parameters; this search varies "
                             f"{len(varying)} ({', '.join(varying) or 'none'})")
    args.backend = args.backend or ("serial" if args.workers == 1 else "processes")
    sampler = new_sampler(args.search, n_trials=args.n_trials, workers=args.workers)
    executor = new_executor(args.backend, workers=args.workers)
    objective = Objective(args.objective, "minimize" if args.minimize else "maximize")
    return space, sampler, executor, objective


def _values(param: Any) -> list[Any]:
    """A parameter's values when it has a finite set, else two stand-ins (it varies)."""
    try:
        return list(param.grid())
    except ValueError:  # a float range without a step
        return [param.low, param.high]


def _cmd_optimize(args: argparse.Namespace) -> int:
    from rustybt.cli._run import _capital, prepare

    try:
        space, sampler, executor, objective = _plan(args)
        capital = _capital(args.capital_base)
    except ValueError as exc:
        return _fail(str(exc), 2)
    ready, code, problem = prepare(args)
    if ready is None:
        return _fail(problem, code)
    bundle, algofile, _portal, sessions = ready
    from rustybt.optimization import AlgorithmWorkload, Study

    workload = AlgorithmWorkload(
        algofile.path.resolve(), bundle.name, sessions[0], sessions[-1],
        root=getattr(args, "root", None), capital_base=float(capital),
        data_frequency=args.data_frequency)
    try:
        study = Study(workload, space, sampler, objective, executor, n_trials=args.n_trials,
                      seed=args.seed, progress=not args.no_progress)
        result = study.optimize()
    except ValueError as exc:
        return _fail(str(exc), 2)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    code = _write_outputs(args, result)
    if code:
        return code
    _print_report(args, result, algofile.path, bundle.name, sessions)
    if result.interrupted:
        return _fail(f"interrupted after {len(result.trials)} trials"
                     + (f" (written to {args.output})" if args.output else ""), 130)
    if not result.completed:
        failed = [t for t in result.trials if t.status == "failed"]
        first = f"; trial {failed[0].number}: {failed[0].error}" if failed else ""
        return _fail(f"no trial finished ({len(result.trials)} run){first}", 1)
    return 0


def _write_outputs(args: argparse.Namespace, result: Any) -> int:
    for flag, target in (("--output", args.output), ("--plot", args.plot)):
        if target is None:
            continue
        try:
            if flag == "--output":
                result.to_parquet(target)
            else:
                from rustybt.optimization.plots import plot_heatmap

                frame = result.to_pandas()
                x, y = [n for n in result.param_names if frame[n].nunique(dropna=True) > 1]
                plot_heatmap(result, target, x, y)
        except OSError as exc:
            return _fail(f"cannot write {flag} {target}: {exc.strerror or exc}", 1)
        except ValueError as exc:
            return _fail(f"cannot write {flag} {target}: {exc}", 1)
    return 0


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else f"{value:.4f}"
    return str(value)


def _print_report(args: argparse.Namespace, result: Any, algofile: Path, bundle: str,
                  sessions: Any) -> None:
    from rustybt.cli._table import Column, print_table

    trials = result.trials
    counts = {s: sum(t.status == s for t in trials) for s in ("ok", "failed", "pruned")}
    first, last = sessions[0].date(), sessions[-1].date()
    print(f"{algofile.name} on {bundle}: {first}..{last}, {len(sessions)} sessions; "
          f"{args.search} search, {args.backend} backend ({args.workers} worker"
          f"{'s' if args.workers > 1 else ''}): {len(trials)} trials in "
          f"{result.wall:.1f}s ({counts['ok']} ok, {counts['failed']} failed, "
          f"{counts['pruned']} pruned)")
    name = result.objective.name
    if not result.completed:
        return
    best = result.best_trial
    shown = ", ".join(f"{k}={v}" for k, v in best.params.items())
    print(f"best: {shown}  ({name} {_fmt(best.value)}, trial {best.number})")
    ranked = sorted(result.completed, key=lambda t: (result.objective.sort_key(t.value), t.number))
    extra = [m for m in ("sharpe", "total_return", "max_drawdown") if m != name]
    columns = [Column("trial", "right"),
               *(Column(p, "right") for p in result.param_names),
               Column(name, "right"), *(Column(m, "right") for m in extra),
               Column("seconds", "right")]
    rows = [[str(t.number), *(_fmt(t.params.get(p)) for p in result.param_names),
             _fmt(t.value), *(_fmt(t.metrics.get(m, math.nan)) for m in extra),
             f"{t.duration:.2f}"] for t in ranked[:args.top]]
    if rows:
        print_table(columns, rows, sys.stdout)
    failed = [t for t in trials if t.status == "failed"]
    if failed:
        print(f"{len(failed)} trials failed; first, trial {failed[0].number}: "
              f"{failed[0].error}", file=sys.stderr)
    if args.output is not None:
        print(f"trials: {args.output}")
    if args.plot is not None:
        print(f"plot: {args.plot}")
