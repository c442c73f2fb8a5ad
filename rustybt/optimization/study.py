"""``Study``: the driver that asks a sampler, runs trials on an executor, and keeps results.

The loop keeps the executor busy (``n_jobs`` trials in flight) and records every trial:
a failing trial is kept with its error and the search goes on; Ctrl-C stops the search,
cancels queued trials and returns what finished (``StudyResult.interrupted``).

Determinism: trial ``n``'s parameters depend only on the seed and ``n`` for samplers that do
not learn (grid, random: ``Sampler.batch is None``), so every backend runs the same trials.
Samplers that learn (Bayesian) set ``batch``: the study then runs synchronous rounds of
``batch`` trials and tells the sampler in trial-number order, so the same seed gives the same
trials whatever the number of workers or the order results arrive in. Multi-fidelity rungs are
decided in the same order.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from rustybt._progress import Progress
from rustybt.optimization.executors.base import Executor
from rustybt.optimization.executors.serial import SerialExecutor
from rustybt.optimization.objective import Objective
from rustybt.optimization.results import StudyResult
from rustybt.optimization.samplers.base import Sampler
from rustybt.optimization.space import ParameterSpace
from rustybt.optimization.trial import TrialResult, TrialSpec
from rustybt.optimization.workload import Workload

__all__ = ["Study"]


class Study:
    """One search: a workload, a space, a sampler, an objective and an executor.

    Args:
        workload: What a trial runs (:class:`FunctionWorkload` or :class:`AlgorithmWorkload`).
        space: The parameters.
        sampler: The search strategy (grid, random, Bayesian...).
        objective: What to optimise (default: maximise ``sharpe``).
        executor: Where trials run (default: serially in this process).
        n_trials: Stop after this many trials (default: the sampler's size, e.g. the grid).
        seed: Seed of the sampler (trials and their order depend only on it).
        progress: Show a progress bar (trials done, best so far, ETA): True, False, or None
            (only on a terminal).
        on_result: Called with each finished trial.
        keep_executor: Leave the executor's workers running after a search that ends
            normally (the caller closes it; :class:`WalkForward` reuses one pool for every
            window). An interrupted or failed search still closes it.
    """

    def __init__(
        self,
        workload: Workload,
        space: ParameterSpace,
        sampler: Sampler,
        objective: Objective | None = None,
        executor: Executor | None = None,
        n_trials: int | None = None,
        seed: int | None = 0,
        progress: bool | None = None,
        on_result: Callable[[TrialResult], None] | None = None,
        keep_executor: bool = False,
    ) -> None:
        if n_trials is not None and (type(n_trials) is not int or n_trials < 1):
            raise ValueError(f"n_trials must be an int >= 1, not {n_trials!r}")
        self.workload = workload
        self.space = space
        self.sampler = sampler
        self.objective = objective or Objective()
        self.executor = executor or SerialExecutor()
        self.n_trials = n_trials
        self.seed = seed
        self.progress = progress
        self.on_result = on_result
        self.keep_executor = keep_executor

    # -- the loop -------------------------------------------------------------------------
    def optimize(self) -> StudyResult:
        """Run the search; returns every trial (also after Ctrl-C)."""
        sampler, executor = self.sampler, self.executor
        sampler.start(self.space, self.objective, self.seed)
        limit = self.n_trials if self.n_trials is not None else sampler.size
        if limit is None:
            raise ValueError(f"{type(sampler).__name__} is unbounded: give n_trials")
        rungs = sampler.rungs()
        done: dict[int, TrialResult] = {}
        partial: dict[int, list[tuple[float, float]]] = {}
        elapsed: dict[int, float] = {}
        t0 = time.perf_counter()
        interrupted = False
        ended = False
        bar = Progress(limit, "trials", enabled=self.progress, unit="trial")
        best: float | None = None
        asked = 0
        exhausted = False
        in_flight = 0
        try:
            executor.start(self.workload)
            while True:
                # fill the executor (free-running) or start a round (batch samplers)
                room = max(1, executor.n_jobs) * (1 if sampler.batch else 2)
                if sampler.batch:
                    room = sampler.batch if in_flight == 0 else 0
                while not exhausted and in_flight < room and asked < limit:
                    params = sampler.ask(asked)
                    if params is None:
                        exhausted = True
                        break
                    executor.submit(TrialSpec(asked, params, rungs[0], self.seed))
                    asked += 1
                    in_flight += 1
                if in_flight == 0:
                    break
                arrived = self._collect(executor, in_flight if sampler.batch else 1)
                in_flight -= len(arrived)
                for result in sorted(arrived, key=lambda r: r.number):
                    number = result.number
                    elapsed[number] = elapsed.get(number, 0.0) + result.duration
                    final = self._after_rung(result, rungs, partial)
                    if final is None:  # go on to the next rung
                        nxt = rungs[rungs.index(result.fidelity) + 1]
                        executor.submit(TrialSpec(number, result.params, nxt, self.seed))
                        in_flight += 1
                        continue
                    final.duration = elapsed[number]
                    final.intermediate = partial.pop(number, [])
                    done[number] = final
                    sampler.tell(final)
                    value = final.value
                    if final.ok and value is not None and (
                            best is None or self.objective.better(value, best)):
                        best = value
                    bar.update()
                    if best is not None:
                        bar.postfix(f"best {self.objective.name}={best:.4g}")
                    if self.on_result is not None:
                        self.on_result(final)
            ended = True
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if not (ended and self.keep_executor):
                executor.close(cancel=interrupted)
            bar.close(failed=interrupted)
        return StudyResult(
            trials=[done[n] for n in sorted(done)], objective=self.objective,
            param_names=self.space.names, interrupted=interrupted,
            wall=time.perf_counter() - t0, sampler=type(sampler).__name__,
            executor=type(executor).__name__)

    @staticmethod
    def _collect(executor: Executor, want: int) -> list[TrialResult]:
        got: list[TrialResult] = []
        while len(got) < want:
            got.extend(executor.results(timeout=None))
        return got

    def _after_rung(self, result: TrialResult, rungs: tuple[float, ...],
                    partial: dict[int, list[tuple[float, float]]]) -> TrialResult | None:
        """The trial's final result, or None when it goes on to its next rung."""
        if result.status != "ok":
            return result
        try:
            result.value = self.objective.value(result.metrics)
        except (KeyError, TypeError, ValueError) as exc:
            result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
            return result
        if result.fidelity >= rungs[-1]:
            return result
        value = result.value if result.value is not None else math.nan
        partial.setdefault(result.number, []).append((result.fidelity, value))
        if self.sampler.should_stop(result.number, result.fidelity, value):
            result.status = "pruned"
            return result
        return None
