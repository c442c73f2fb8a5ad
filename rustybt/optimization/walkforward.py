"""``WalkForward``: optimise on a train window, test the best parameters on the next window.

Sizes are counts of trading sessions (ints), not calendar offsets: a session count makes every
window the same length in bars and the rule below exact. With sessions ``s[0..N-1]`` (the
calendar's sessions in ``start..end``), window ``k = 0, 1, ...`` has

- test  = ``s[t : t + test]`` with ``t = train + k * step`` (``step`` defaults to ``test``);
- train = ``s[t - train : t]`` (``'rolling'``) or ``s[0 : t]`` (``'anchored'``: it grows);

and windows are made while ``t + test <= N``; the last ``(N - train) - k * step`` sessions that
do not fill a whole test window are not tested (:attr:`WalkForwardResult.untested`). ``step``
must be at least ``test``, so test windows never overlap: with ``step == test`` they tile
``s[train : train + n * test]`` exactly; a larger step leaves gaps. Every train window ends the
session before its test window starts (no look-ahead).

:meth:`WalkForward.run` runs one :class:`Study` per train window (``workload_factory(first,
last)`` builds the window's workload, ``sampler_factory()`` a fresh sampler; the same seed for
every window), then evaluates the best parameters once on the test window in this process,
through :meth:`Workload.run_detailed`. An executor instance keeps its workers across windows
(``Study(keep_executor=True)``: a process pool or Ray actors start once, and each window ships
its workload to the same workers); a factory makes a fresh executor per window. The result has
a per-window table and, for workloads with a results frame (:class:`AlgorithmWorkload`), the
stitched out-of-sample daily returns: the test windows' ``returns`` concatenated (each test
window starts from fresh capital, so the stitched equity is the product of ``1 + returns``).
A window whose study finished no trial, or whose test run raised, is kept in the table with
``status='failed'`` and its error, and contributes no returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from rustybt.optimization.executors.base import Executor
from rustybt.optimization.objective import Objective
from rustybt.optimization.results import StudyResult
from rustybt.optimization.samplers.base import Sampler
from rustybt.optimization.space import ParameterSpace
from rustybt.optimization.study import Study
from rustybt.optimization.workload import Workload

__all__ = ["WalkForward", "WalkForwardResult", "Window", "WindowResult"]

Mode = Literal["rolling", "anchored"]


@dataclass(frozen=True)
class Window:
    """One walk-forward window: inclusive first/last sessions of train and test."""

    index: int
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp
    train_sessions: int
    test_sessions: int


@dataclass
class WindowResult:
    """A window's outcome: the best in-sample parameters and their out-of-sample metrics."""

    window: Window
    best_params: dict[str, Any] | None
    in_sample: float | None
    oos_metrics: dict[str, float] = field(default_factory=dict)
    oos_value: float | None = None
    oos_returns: pd.Series | None = None
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None


class WalkForward:
    """Walk-forward windows over trading sessions.

    Args:
        train: Sessions in a (rolling) train window; the first train window when anchored.
        test: Sessions in a test window.
        step: Sessions between consecutive test windows' starts (default ``test``; >= test).
        mode: ``'rolling'`` (train windows of fixed length) or ``'anchored'`` (from the first
            session).
    """

    def __init__(self, train: int, test: int, step: int | None = None,
                 mode: Mode = "rolling") -> None:
        for name, value in (("train", train), ("test", test), ("step", step)):
            if value is not None and (type(value) is not int or value < 1):
                raise ValueError(f"WalkForward {name} must be a number of sessions (int >= 1), "
                                 f"not {value!r}")
        step = test if step is None else step
        if step < test:
            raise ValueError(f"WalkForward step {step} < test {test}: test windows would overlap")
        if mode not in ("rolling", "anchored"):
            raise ValueError(f"WalkForward mode must be 'rolling' or 'anchored', not {mode!r}")
        self.train, self.test, self.step, self.mode = train, test, step, mode

    def windows(self, sessions: Sequence[Any] | pd.DatetimeIndex) -> list[Window]:
        """The windows over ``sessions`` (the rule in the module docstring).

        Raises:
            ValueError: fewer than ``train + test`` sessions, or sessions not increasing.
        """
        s = pd.DatetimeIndex(sessions)
        if not s.is_monotonic_increasing or not s.is_unique:
            raise ValueError("walk-forward sessions must be strictly increasing")
        n = len(s)
        if n < self.train + self.test:
            first = s[0].date() if n else None
            last = s[-1].date() if n else None
            raise ValueError(f"walk-forward needs at least train + test = "
                             f"{self.train + self.test} sessions, {first}..{last} has {n}")
        out: list[Window] = []
        t = self.train
        while t + self.test <= n:
            lo = t - self.train if self.mode == "rolling" else 0
            out.append(Window(len(out), s[lo], s[t - 1], s[t], s[t + self.test - 1],
                              t - lo, self.test))
            t += self.step
        return out

    def untested(self, sessions: Sequence[Any] | pd.DatetimeIndex) -> int:
        """Sessions after the last test window (too few for a whole one)."""
        windows = self.windows(sessions)
        s = pd.DatetimeIndex(sessions)
        return int(len(s) - 1 - s.get_loc(windows[-1].test_end))

    def run(
        self,
        workload_factory: Callable[[pd.Timestamp, pd.Timestamp], Workload],
        space: ParameterSpace,
        sampler_factory: Callable[[], Sampler],
        start: Any,
        end: Any,
        *,
        calendar: str | Any = "XNYS",
        objective: Objective | None = None,
        executor: Executor | Callable[[], Executor] | None = None,
        n_trials: int | None = None,
        seed: int | None = 0,
        progress: bool | None = False,
    ) -> WalkForwardResult:
        """Optimise on each train window, test its best parameters on the next window.

        Args:
            workload_factory: ``(first_session, last_session) -> Workload`` (e.g. an
                :class:`AlgorithmWorkload` over that range).
            space: The parameters.
            sampler_factory: A fresh sampler per window (``GridSearch``, ``lambda:
                BayesianSearch(50)``...).
            start: First session of the whole range.
            end: Last session of the whole range.
            calendar: An exchange-calendars name, a calendar (``sessions_in_range``), or the
                sessions themselves (a ``DatetimeIndex``).
            objective: What to optimise (default: maximise ``sharpe``).
            executor: Where train trials run: an executor (its workers started once and
                reused by every window: each window ships its workload to the same workers,
                which set it up again; closed at the end), or a factory making a fresh one per
                window (None: serially in this process).
            n_trials: Trials per window (default: the sampler's size).
            seed: Seed of every window's study.
            progress: Progress bars of the studies.
        """
        sessions = _sessions(calendar, start, end)
        objective = objective or Objective()
        results: list[WindowResult] = []
        studies: list[StudyResult] = []
        shared = executor if isinstance(executor, Executor) else None
        factory = None if executor is None or isinstance(executor, Executor) else executor
        try:
            for w in self.windows(sessions):
                ex = shared if factory is None else factory()
                study = Study(workload_factory(w.train_start, w.train_end), space,
                              sampler_factory(), objective, ex, n_trials=n_trials, seed=seed,
                              progress=progress, keep_executor=shared is not None)
                found = study.optimize()
                studies.append(found)
                if found.interrupted:
                    break
                results.append(_test(w, found, workload_factory, objective))
        finally:
            if shared is not None:
                shared.close()
        return WalkForwardResult(results, studies, space.names, objective,
                                 untested=self.untested(sessions), mode=self.mode)

    def __repr__(self) -> str:
        return (f"WalkForward(train={self.train}, test={self.test}, step={self.step}, "
                f"mode={self.mode!r})")


def _sessions(calendar: str | Any, start: Any, end: Any) -> pd.DatetimeIndex:
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if isinstance(calendar, pd.DatetimeIndex):
        s = calendar
        return s[(s >= first) & (s <= last)]
    if isinstance(calendar, str):
        from rustybt.calendars import get_calendar

        calendar = get_calendar(calendar, start=first, end=last)
    return pd.DatetimeIndex(calendar.sessions_in_range(first, last))


def _test(w: Window, found: StudyResult,
          workload_factory: Callable[[pd.Timestamp, pd.Timestamp], Workload],
          objective: Objective) -> WindowResult:
    try:
        best = found.best_trial
    except ValueError as exc:
        return WindowResult(w, None, None, status="failed",
                            error=f"train {w.train_start.date()}..{w.train_end.date()}: {exc}")
    params = dict(best.params)
    try:
        workload = workload_factory(w.test_start, w.test_end)
        workload.setup()
        metrics, perf = workload.run_detailed(params)
        value = objective.value(metrics)
    except Exception as exc:  # kept in the table, like a failed trial
        return WindowResult(w, params, best.value, status="failed",
                            error=f"test {w.test_start.date()}..{w.test_end.date()} with "
                                  f"{params}: {type(exc).__name__}: {exc}")
    returns = None
    if perf is not None and "returns" in getattr(perf, "columns", ()):
        returns = perf["returns"].astype(float)
    return WindowResult(w, params, best.value, dict(metrics), value, returns)


@dataclass
class WalkForwardResult:
    """Per-window results and the stitched out-of-sample returns."""

    windows: list[WindowResult]
    studies: list[StudyResult]
    param_names: list[str]
    objective: Objective
    untested: int = 0
    mode: str = "rolling"

    def to_pandas(self) -> pd.DataFrame:
        """One row per window: index, train/test first and last sessions, best parameters,
        ``in_sample`` (best train value), ``oos_value`` (objective on the test window),
        ``oos_<metric>`` for each test metric, ``status``, ``error``."""
        metric_names: list[str] = []
        for r in self.windows:
            metric_names += [m for m in r.oos_metrics if m not in metric_names]
        rows = []
        for r in self.windows:
            w = r.window
            row: dict[str, Any] = {
                "window": w.index, "train_start": w.train_start, "train_end": w.train_end,
                "test_start": w.test_start, "test_end": w.test_end}
            row.update({p: (r.best_params or {}).get(p) for p in self.param_names})
            row.update(in_sample=r.in_sample, oos_value=r.oos_value)
            row.update({f"oos_{m}": r.oos_metrics.get(m, float("nan")) for m in metric_names})
            row.update(status=r.status, error=r.error)
            rows.append(row)
        columns = ["window", "train_start", "train_end", "test_start", "test_end",
                   *self.param_names, "in_sample", "oos_value",
                   *(f"oos_{m}" for m in metric_names), "status", "error"]
        frame = pd.DataFrame(rows, columns=columns)
        for col in ("in_sample", "oos_value", *(f"oos_{m}" for m in metric_names)):
            frame[col] = frame[col].astype(float)
        return frame

    @property
    def returns(self) -> pd.Series | None:
        """The test windows' daily returns, concatenated in time (None when the workload has
        no results frame); failed windows contribute nothing."""
        parts = [r.oos_returns for r in self.windows if r.oos_returns is not None]
        if not parts:
            return None
        out = pd.concat(parts)
        if not out.index.is_unique or not out.index.is_monotonic_increasing:
            raise ValueError("out-of-sample returns overlap: test windows must not overlap")
        return out.rename("returns")

    @property
    def equity(self) -> pd.Series | None:
        """Growth of 1 over the stitched out-of-sample returns."""
        r = self.returns
        return None if r is None else (1.0 + r).cumprod().rename("equity")

    def plot(self, path: str | Path, **kwargs: Any) -> Path:
        """PNG of the stitched out-of-sample equity and per-window values (see
        :func:`rustybt.optimization.plots.plot_walkforward`)."""
        from rustybt.optimization.plots import plot_walkforward

        return plot_walkforward(self, path, **kwargs)

    def __repr__(self) -> str:
        ok = sum(r.status == "ok" for r in self.windows)
        return f"WalkForwardResult({len(self.windows)} windows, {ok} ok, {self.mode})"
