"""What runs inside a worker (a process or a Ray actor), shared by the parallel executors.

The workload travels to a worker once, as bytes pickled by the parent (so an unpicklable
workload fails in the parent, naming itself, and an unimportable one fails in the worker,
as a setup error rather than a crash). :func:`prepare` unpickles it and calls its ``setup``
(opening the bundle by path through the process's ``BundleConnectionPool``), timing each
step, and never raises: a failure comes back in :class:`WorkerInfo.error` so the parent can
raise ``WorkerSetupFailed`` naming the worker. The parent's ``sys.path`` travels along and is
appended, so module-level factories of tests and scripts import in the worker as they do in
the parent (entries missing on the worker's machine are harmless).
"""

from __future__ import annotations

import os
import pickle
import sys
import time
import traceback
from dataclasses import dataclass

from rustybt.errors import WorkerSetupFailed
from rustybt.optimization.workload import Workload

__all__ = ["WorkerInfo", "pack", "prepare"]


@dataclass(frozen=True)
class WorkerInfo:
    """How one worker got ready.

    Attributes:
        name: The worker's name in trial results (``"pid:1234"``).
        pid: Its process id.
        unpickle_s: Seconds to unpickle the workload (imports of its modules included).
        setup_s: Seconds in ``Workload.setup`` (opening the bundle, or the loader).
        boot_s: Seconds from starting the worker to its ready message, measured by the
            parent (interpreter start and imports included); 0.0 until the parent knows.
        error: Why the worker could not get ready (None when it did).
    """

    name: str
    pid: int
    unpickle_s: float
    setup_s: float
    boot_s: float = 0.0
    error: str | None = None


def pack(workload: Workload) -> bytes:
    """Pickle ``workload`` once for every worker.

    Raises:
        WorkerSetupFailed: It does not pickle (a lambda, a closure, an open handle).
    """
    try:
        return pickle.dumps(workload, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # pickle raises PicklingError, AttributeError, TypeError...
        raise WorkerSetupFailed(
            f"{type(workload).__name__} cannot be sent to worker processes: "
            f"{type(exc).__name__}: {exc} (use module-level functions and picklable values)"
        ) from exc


def prepare(blob: bytes, sys_path: list[str]) -> tuple[Workload | None, WorkerInfo]:
    """Unpickle and set up the workload in this process; errors go into the info."""
    for entry in sys_path:
        if entry not in sys.path:
            sys.path.append(entry)
    pid = os.getpid()
    name = f"pid:{pid}"
    t0 = time.perf_counter()
    step = "unpickling the workload"
    try:
        workload = pickle.loads(blob)
        t1 = time.perf_counter()
        step = f"{type(workload).__name__}.setup()"
        workload.setup()
        t2 = time.perf_counter()
    except Exception as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
        error = f"worker {name}: {step} failed: {type(exc).__name__}: {exc}{where}"
        return None, WorkerInfo(name, pid, time.perf_counter() - t0, 0.0, error=error)
    return workload, WorkerInfo(name, pid, t1 - t0, t2 - t1)
