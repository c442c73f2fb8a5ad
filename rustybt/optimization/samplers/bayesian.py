"""``BayesianSearch``: optuna's TPE sampler, with optional multi-fidelity pruning ("BOHB").

optuna's ask-and-tell interface, driven by our :class:`~rustybt.optimization.study.Study`:
``ask(n)`` calls ``optuna.Study.ask()`` and suggests each parameter of the
:class:`ParameterSpace`; ``tell`` hands the finished trial back (``COMPLETE`` with its value,
``PRUNED``, or ``FAIL`` for a failed trial or a NaN/infinite value, which TPE then ignores).

Parameter mapping: ``IntRange`` → ``suggest_int`` (``step``, or ``log`` with step 1: a log
range's draws ignore its step, as in :meth:`IntRange.sample`); ``FloatRange`` with a step →
``suggest_float(step=...)`` on its grid (rounded like :meth:`FloatRange.grid`), without one →
``suggest_float`` (``log`` when asked); ``Choice`` → ``suggest_categorical`` over the values'
indices (so any value type works).

Constraints: an infeasible point is never handed to the study. TPE's proposal is checked with
:meth:`ParameterSpace.allowed`; when it breaks a constraint, the optuna trial is told
``PRUNED`` with constraint value 1 (``Trial.set_constraint``, optuna >= 5: TPE ranks an
infeasible trial below every feasible one and learns to avoid the region) and optuna is asked
again. After
``max_rejects`` rejections in a row the trial takes a random feasible point
(:meth:`ParameterSpace.sample` seeded by ``(seed, number)``), enqueued into optuna so TPE
still learns from it.

Multi-fidelity: ``rungs`` are fractions of the backtest period (increasing, the last 1.0).
After each rung the study calls :meth:`should_stop`, which reports the objective as optuna's
intermediate value at step ``round(fidelity * 10_000)`` and asks the pruner (Hyperband or
successive halving, ``min_resource`` = the first rung's step, ``max_resource`` = 10 000,
``reduction_factor`` = the rungs' ratio). A NaN/infinite intermediate value (e.g. a Sharpe ratio
before the first trade) is not reported and never prunes: too early to judge.

Determinism: TPE is seeded with the study's seed and the optuna study has a fixed name
(Hyperband assigns brackets by a hash of name and trial number); the study runs synchronous
rounds of ``batch`` trials and tells/decides rungs in trial-number order, so the same seed gives
the same trials on every executor. ``constant_liar`` keeps a round's proposals apart. optuna's
log is set to WARNING; its experimental-feature warnings are silenced.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any, Literal

import numpy as np

from rustybt.optimization.objective import Objective
from rustybt.optimization.samplers.base import Sampler
from rustybt.optimization.space import Choice, FloatRange, IntRange, ParameterSpace
from rustybt.optimization.trial import TrialResult

__all__ = ["BayesianSearch"]

Pruner = Literal["hyperband", "successive_halving"]

#: Optuna steps per whole period (a rung at fidelity f reports at step round(f * STEPS)).
STEPS = 10_000
#: The optuna constraint set to 1.0 on a rejected (infeasible, never run) proposal.
INFEASIBLE = "rustybt_space_constraints"
_STUDY_NAME = "rustybt-bayesian"


class BayesianSearch(Sampler):
    """Tree-structured Parzen estimator search (optuna), optionally multi-fidelity.

    Args:
        n_trials: Number of trials (or give ``n_trials`` to the study).
        batch: Trials per synchronous round (run in parallel; TPE learns between rounds).
        multi_fidelity: Run trials in ``rungs`` and prune clearly worse ones early.
        rungs: Fractions of the backtest period, increasing, ending at 1.0.
        pruner: ``'hyperband'`` or ``'successive_halving'`` (with ``multi_fidelity``).
        reduction_factor: The pruner's η (default: ``round(rungs[1] / rungs[0])``, at least 2).
        n_startup_trials: Random trials before TPE models the results.
        max_rejects: Infeasible TPE proposals in a row before a random feasible point.
    """

    def __init__(
        self,
        n_trials: int | None = None,
        batch: int = 4,
        multi_fidelity: bool = False,
        rungs: tuple[float, ...] = (0.25, 0.5, 1.0),
        pruner: Pruner = "hyperband",
        reduction_factor: int | None = None,
        n_startup_trials: int = 10,
        max_rejects: int = 100,
    ) -> None:
        for name, value, low in (("n_trials", n_trials, 1), ("batch", batch, 1),
                                 ("n_startup_trials", n_startup_trials, 0),
                                 ("max_rejects", max_rejects, 1)):
            if value is not None and (type(value) is not int or value < low):
                raise ValueError(f"{name} must be an int >= {low}, not {value!r}")
        if pruner not in ("hyperband", "successive_halving"):
            raise ValueError(f"pruner must be 'hyperband' or 'successive_halving', not {pruner!r}")
        rungs = tuple(float(r) for r in rungs)
        steps = [round(r * STEPS) for r in rungs]
        if (not rungs or rungs[-1] != 1.0 or steps[0] < 1
                or any(b <= a for a, b in itertools.pairwise(steps))):
            raise ValueError(f"rungs must increase within (0, 1] (at least 1/{STEPS} apart) "
                             f"and end at 1.0, not {rungs!r}")
        if multi_fidelity and len(rungs) < 2:
            raise ValueError(f"multi_fidelity needs at least two rungs, not {rungs!r}")
        if reduction_factor is None:
            reduction_factor = max(2, round(rungs[1] / rungs[0])) if len(rungs) > 1 else 2
        if type(reduction_factor) is not int or reduction_factor < 2:
            raise ValueError(f"reduction_factor must be an int >= 2, not {reduction_factor!r}")
        self.n_trials = n_trials
        self.batch = batch
        self.multi_fidelity = multi_fidelity
        self._rungs = rungs
        self.pruner = pruner
        self.reduction_factor = reduction_factor
        self.n_startup_trials = n_startup_trials
        self.max_rejects = max_rejects

    # -- Sampler --------------------------------------------------------------------------
    def start(self, space: ParameterSpace, objective: Objective, seed: int | None) -> None:
        import optuna

        super().start(space, objective, seed)
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(
                seed=seed, n_startup_trials=self.n_startup_trials, multivariate=True,
                constant_liar=True)
        pruner: optuna.pruners.BasePruner = optuna.pruners.NopPruner()
        if self.multi_fidelity:
            low = round(self._rungs[0] * STEPS)
            if self.pruner == "hyperband":
                pruner = optuna.pruners.HyperbandPruner(
                    min_resource=low, max_resource=STEPS, reduction_factor=self.reduction_factor)
            else:
                pruner = optuna.pruners.SuccessiveHalvingPruner(
                    min_resource=low, reduction_factor=self.reduction_factor)
        self._study = optuna.create_study(
            study_name=_STUDY_NAME, sampler=sampler, pruner=pruner,
            direction="maximize" if objective.direction == "maximize" else "minimize")
        self._trials: dict[int, Any] = {}
        self.rejected = 0

    def ask(self, number: int) -> dict[str, Any] | None:
        if self.n_trials is not None and number >= self.n_trials:
            return None
        import optuna

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            for _ in range(self.max_rejects):
                trial = self._study.ask()
                params = self._suggest(trial)
                if self.space.allowed(params):
                    self._trials[number] = trial
                    return params
                trial.set_constraint(INFEASIBLE, 1.0)
                self._study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                self.rejected += 1
            # TPE keeps proposing infeasible points: a random feasible one, enqueued
            point = self.space.sample(np.random.default_rng((self.seed or 0, number)))
            self._study.enqueue_trial(self._internal(point))
            trial = self._study.ask()
            params = self._suggest(trial)
        self._trials[number] = trial
        return params

    def tell(self, result: TrialResult) -> None:
        from optuna.trial import TrialState

        trial = self._trials.pop(result.number)
        if result.status == "pruned":
            self._study.tell(trial, state=TrialState.PRUNED)
        elif result.ok:
            self._study.tell(trial, result.value)
        else:
            self._study.tell(trial, state=TrialState.FAIL)

    def rungs(self) -> tuple[float, ...]:
        return self._rungs if self.multi_fidelity else (1.0,)

    def should_stop(self, number: int, fidelity: float, value: float) -> bool:
        if not self.multi_fidelity or not math.isfinite(value):
            return False
        trial = self._trials[number]
        trial.report(value, round(fidelity * STEPS))
        return bool(trial.should_prune())

    @property
    def size(self) -> int | None:
        return self.n_trials

    @property
    def optuna_study(self) -> Any:
        """The underlying ``optuna.Study`` of the last run (after :meth:`start`)."""
        return self._study

    # -- parameter mapping ----------------------------------------------------------------
    def _suggest(self, trial: Any) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for name, p in self.space.params.items():
            if isinstance(p, IntRange):
                if p.log:
                    params[name] = trial.suggest_int(name, p.low, p.high, log=True)
                else:
                    high = p.low + p.step * ((p.high - p.low) // p.step)
                    params[name] = trial.suggest_int(name, p.low, high, step=p.step)
            elif isinstance(p, FloatRange):
                if p.step is not None:
                    grid = p.grid()
                    value = trial.suggest_float(name, grid[0], grid[-1], step=p.step)
                    params[name] = min(grid, key=lambda g: abs(g - value))
                else:
                    params[name] = float(trial.suggest_float(name, p.low, p.high, log=p.log))
            else:
                assert isinstance(p, Choice)
                index = trial.suggest_categorical(name, list(range(len(p.values))))
                params[name] = p.values[index]
        return params

    def _internal(self, point: dict[str, Any]) -> dict[str, Any]:
        """``point`` as optuna's parameter values (a Choice by its index)."""
        out: dict[str, Any] = {}
        for name, p in self.space.params.items():
            out[name] = p.values.index(point[name]) if isinstance(p, Choice) else point[name]
        return out

    def __repr__(self) -> str:
        fidelity = (f", multi_fidelity=True, rungs={self._rungs}, pruner={self.pruner!r}"
                    if self.multi_fidelity else "")
        return f"BayesianSearch(n_trials={self.n_trials}, batch={self.batch}{fidelity})"
