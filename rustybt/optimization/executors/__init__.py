"""Where trials run, one module each, behind :class:`~.base.Executor`."""

from rustybt.optimization.executors.base import Executor, run_trial
from rustybt.optimization.executors.serial import SerialExecutor

__all__ = ["Executor", "SerialExecutor", "run_trial"]
