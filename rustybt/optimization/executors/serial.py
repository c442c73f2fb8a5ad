"""``SerialExecutor``: trials one after another in this process (the reference backend)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from rustybt.optimization.executors.base import Executor, run_trial
from rustybt.optimization.trial import TrialResult, TrialSpec
from rustybt.optimization.workload import Workload

__all__ = ["SerialExecutor"]


class SerialExecutor(Executor):
    """Runs each submitted trial when results are asked for, in this process."""

    n_jobs = 1

    def __init__(self) -> None:
        self._queue: deque[TrialSpec] = deque()
        self._workload: Workload | None = None

    def start(self, workload: Workload) -> None:
        self._workload = workload
        workload.setup()

    def submit(self, spec: TrialSpec) -> None:
        self._queue.append(spec)

    def results(self, timeout: float | None = None) -> Iterator[TrialResult]:
        assert self._workload is not None, "start() first"
        if self._queue:
            yield run_trial(self._workload, self._queue.popleft(), worker="serial")

    def close(self, cancel: bool = False) -> None:
        self._queue.clear()
