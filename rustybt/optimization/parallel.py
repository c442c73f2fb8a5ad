"""``ParallelOptimizer``: run studies on a backend chosen by name (the issue's entry point).

A thin convenience over :class:`~rustybt.optimization.study.Study` and
:func:`~rustybt.optimization.registry.new_executor`: each :meth:`ParallelOptimizer.optimize`
call builds a fresh executor of the chosen backend (workers start, set the workload up once,
run every trial of the study, and stop). Results do not depend on the backend: the same
sampler and seed give the same trials and the same per-trial metrics on serial, processes and
Ray (trial parameters depend only on the seed and the trial number; see ``study.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from rustybt.optimization.executors import Executor, default_n_jobs
from rustybt.optimization.objective import Objective
from rustybt.optimization.registry import new_executor
from rustybt.optimization.results import StudyResult
from rustybt.optimization.samplers.base import Sampler
from rustybt.optimization.space import ParameterSpace
from rustybt.optimization.study import Study
from rustybt.optimization.trial import TrialResult
from rustybt.optimization.workload import Workload

__all__ = ["ParallelOptimizer"]


class ParallelOptimizer:
    """Studies on one backend.

    Args:
        backend: A name of :data:`~rustybt.optimization.registry.BACKENDS` (``'serial'``,
            ``'processes'``, ``'ray'``).
        n_jobs: Parallel workers (default: 1 for serial, else the CPUs this process may use).

    Example:
        >>> from rustybt.optimization import FunctionWorkload, GridSearch, IntRange
        >>> from rustybt.optimization import Objective, ParallelOptimizer, ParameterSpace
        >>> def score(params, data):
        ...     return {"score": -(params["x"] - 2) ** 2}
        >>> result = ParallelOptimizer("serial").optimize(
        ...     FunctionWorkload(score), ParameterSpace({"x": IntRange(0, 4)}), GridSearch(),
        ...     Objective("score"), progress=False)
        >>> result.best_params
        {'x': 2}
    """

    def __init__(self, backend: str = "serial", n_jobs: int | None = None) -> None:
        self.backend = backend
        self.n_jobs = n_jobs
        self.executor()  # check the name and n_jobs now, not at the first study

    def executor(self) -> Executor:
        """A fresh executor of this backend."""
        default = 1 if self.backend == "serial" else default_n_jobs()
        return new_executor(self.backend, workers=default if self.n_jobs is None else self.n_jobs)

    def optimize(
        self,
        workload: Workload,
        space: ParameterSpace,
        sampler: Sampler,
        objective: Objective | None = None,
        n_trials: int | None = None,
        seed: int | None = 0,
        progress: bool | None = None,
        on_result: Callable[[TrialResult], None] | None = None,
    ) -> StudyResult:
        """Run one :class:`Study` on a fresh executor of this backend."""
        return Study(workload, space, sampler, objective, self.executor(), n_trials=n_trials,
                     seed=seed, progress=progress, on_result=on_result).optimize()

    def __repr__(self) -> str:
        jobs = "" if self.n_jobs is None else f", n_jobs={self.n_jobs}"
        return f"ParallelOptimizer({self.backend!r}{jobs})"

