"""Where trials run, one module each, behind :class:`~.base.Executor`.

``serial`` (this process), ``processes`` (a persistent pool of spawned worker processes) and
``ray`` (Ray actors, locally or on a cluster; the ``rustybt[ray]`` extra). By name:
:func:`rustybt.optimization.registry.new_executor`.
"""

from rustybt.optimization.executors._worker import WorkerInfo
from rustybt.optimization.executors.base import Executor, run_trial
from rustybt.optimization.executors.processes import ProcessExecutor, default_n_jobs
from rustybt.optimization.executors.ray_ import RayExecutor
from rustybt.optimization.executors.serial import SerialExecutor

__all__ = [
    "Executor",
    "ProcessExecutor",
    "RayExecutor",
    "SerialExecutor",
    "WorkerInfo",
    "default_n_jobs",
    "run_trial",
]
