"""``Executor``: where trials run (serial, a process pool, Ray), behind one small ABC.

An executor is started with a :class:`~rustybt.optimization.workload.Workload` (shipped once
to each worker, which calls its ``setup``: workers open the bundle by path and map the same
files, never receive bar data), then runs :class:`TrialSpec`\\ s and yields
:class:`TrialResult`\\ s as they finish (not in submission order). A failing trial comes back
as ``status='failed'`` with its error; it never stops the executor.
"""

from __future__ import annotations

import os
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Iterator
from types import TracebackType

from rustybt.optimization.trial import TrialResult, TrialSpec
from rustybt.optimization.workload import Workload

__all__ = ["Executor", "run_trial"]


def run_trial(workload: Workload, spec: TrialSpec, worker: str | None = None) -> TrialResult:
    """Run one spec in this process; exceptions become ``status='failed'`` results."""
    t0 = time.perf_counter()
    name = worker or f"pid:{os.getpid()}"
    try:
        metrics = workload.run(dict(spec.params), spec.fidelity)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1:] or None
        where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
        return TrialResult(spec.number, dict(spec.params), status="failed",
                           error=f"{type(exc).__name__}: {exc}{where}",
                           duration=time.perf_counter() - t0, worker=name,
                           fidelity=spec.fidelity)
    return TrialResult(spec.number, dict(spec.params), metrics=metrics,
                       duration=time.perf_counter() - t0, worker=name, fidelity=spec.fidelity,
                       cache_hit_rate=workload.last_cache_hit_rate())


class Executor(ABC):
    """Runs trial specs of one workload; a context manager that releases its workers."""

    #: How many trials can run at once (the study keeps this many in flight).
    n_jobs: int = 1

    @abstractmethod
    def start(self, workload: Workload) -> None:
        """Ship ``workload`` to the workers (each calls ``workload.setup()`` once)."""

    @abstractmethod
    def submit(self, spec: TrialSpec) -> None:
        """Queue one trial."""

    @abstractmethod
    def results(self, timeout: float | None = None) -> Iterator[TrialResult]:
        """Yield results finished so far; block up to ``timeout`` for the first one."""

    @abstractmethod
    def close(self, cancel: bool = False) -> None:
        """Stop the workers (``cancel``: drop queued trials instead of finishing them)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(cancel=exc is not None)
