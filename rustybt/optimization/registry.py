"""Searches and backends by name: what ``rustybt optimize --search/--backend`` accept.

Two plain dicts, :data:`SEARCHES` (name → sampler factory) and :data:`BACKENDS` (name →
executor factory). Each search or backend module adds one entry here (``'grid'``, ``'random'``,
``'bayes'``, ``'serial'``, ``'processes'``, ``'ray'``);
:func:`new_sampler` and :func:`new_executor` look a name up and say which names exist when it
is unknown. Factories take keyword arguments only, so an entry may ignore what it does not use:

- a search factory ``(*, n_trials, workers) -> Sampler`` (``workers``: trials in flight, e.g.
  the round size of a sampler that learns);
- a backend factory ``(*, workers) -> Executor``.

Invariant: a factory raises ValueError (one line naming the option) for arguments it cannot
honour, e.g. the serial backend asked for more than one worker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rustybt.optimization.executors.base import Executor
from rustybt.optimization.executors.processes import ProcessExecutor
from rustybt.optimization.executors.ray_ import RayExecutor
from rustybt.optimization.executors.serial import SerialExecutor
from rustybt.optimization.samplers.base import Sampler
from rustybt.optimization.samplers.bayesian import BayesianSearch
from rustybt.optimization.samplers.grid import GridSearch
from rustybt.optimization.samplers.random import RandomSearch

__all__ = ["BACKENDS", "SEARCHES", "BackendFactory", "SearchFactory", "new_executor",
           "new_sampler"]

SearchFactory = Callable[..., Sampler]
BackendFactory = Callable[..., Executor]


def _grid(*, n_trials: int | None, workers: int) -> Sampler:
    _ = n_trials, workers  # the study stops a grid after n_trials
    return GridSearch()


def _random(*, n_trials: int | None, workers: int) -> Sampler:
    _ = workers
    if n_trials is None:
        raise ValueError("a random search needs a number of trials (--n-trials N)")
    return RandomSearch(n_trials)


def _bayes(*, n_trials: int | None, workers: int) -> Sampler:
    _ = workers  # rounds of 4 whatever the workers: the same seed gives the same trials
    if n_trials is None:
        raise ValueError("a Bayesian search needs a number of trials (--n-trials N)")
    return BayesianSearch(n_trials)


def _serial(*, workers: int) -> Executor:
    if workers != 1:
        raise ValueError(f"the serial backend runs one trial at a time, not {workers} "
                         "(--workers 1, or a parallel backend)")
    return SerialExecutor()


def _processes(*, workers: int) -> Executor:
    return ProcessExecutor(workers)


def _ray(*, workers: int) -> Executor:
    return RayExecutor(workers)  # Ray is imported (or BackendUnavailable) when it starts


#: Search name → factory ``(*, n_trials, workers) -> Sampler``.
SEARCHES: dict[str, SearchFactory] = {"grid": _grid, "random": _random, "bayes": _bayes}

#: Backend name → factory ``(*, workers) -> Executor``.
BACKENDS: dict[str, BackendFactory] = {"serial": _serial, "processes": _processes, "ray": _ray}


def _unknown(kind: str, name: str, known: Mapping[str, object]) -> ValueError:
    return ValueError(f"unknown {kind} {name!r} (known: {', '.join(sorted(known))})")


def new_sampler(name: str, *, n_trials: int | None = None, workers: int = 1) -> Sampler:
    """A fresh sampler of the search ``name``.

    Raises:
        ValueError: an unknown name (the message lists the known ones), or arguments the
            search cannot use.
    """
    factory = SEARCHES.get(name)
    if factory is None:
        raise _unknown("search", name, SEARCHES)
    return factory(n_trials=n_trials, workers=workers)


def new_executor(name: str, *, workers: int = 1) -> Executor:
    """A fresh executor of the backend ``name`` running ``workers`` trials at once.

    Raises:
        ValueError: an unknown name (the message lists the known ones), or a worker count
            the backend cannot run.
    """
    if type(workers) is not int or workers < 1:
        raise ValueError(f"workers must be an int >= 1, not {workers!r}")
    factory = BACKENDS.get(name)
    if factory is None:
        raise _unknown("backend", name, BACKENDS)
    return factory(workers=workers)
