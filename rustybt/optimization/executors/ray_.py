"""``RayExecutor``: trials on Ray actors, on this machine or on a Ray cluster (``rustybt[ray]``).

Design and invariants:

- One actor per job (``num_cpus=1`` each). The workload is pickled once by the driver, put in
  Ray's object store once, and handed to each actor's constructor, which unpickles it and
  calls ``setup()`` once (:mod:`._worker`); the actor then runs every trial it is given as an
  actor call. No bar data travels: each actor opens the bundle by path through its process's
  ``BundleConnectionPool`` and maps the same Arrow files as the other actors on its machine.
- Each actor gets one trial at a time, only when idle, so the driver knows which trial an
  actor runs; results come back in completion order through ``ray.wait``. A trial that raises
  comes back ``failed``; an actor that dies (its process exits or segfaults) fails the trial
  it was running, naming the actor and the trial, and a fresh actor takes its place.
- ``OptimizationConfig.persistent_workers`` off (the workload's ``config``): a fresh actor
  (setup again) after every trial; the benchmark baseline.
- ``start`` on running actors puts the new workload in the object store and calls each
  actor's ``load``: the same actors set it up and run its trials (a walk-forward's windows).
  The queue, dispatch, result and crash bookkeeping is :class:`~._pooled.PooledExecutor`'s,
  shared with the process backend; this module is the transport (actor calls, ``ray.wait``).
- Ray itself: when no Ray session is initialised, ``start`` calls ``ray.init`` (a local
  session of ``n_jobs`` CPUs, no dashboard; or ``address``, or ``$RAY_ADDRESS``, when set)
  and ``close`` shuts down only a session it started itself; a session initialised by the
  caller is used and left up.

Running on a cluster: pass ``address='auto'`` on a node of a running cluster (``ray start
--head`` / ``ray start --address=...``), ``address='ray://HEAD:10001'`` through Ray Client, or
call ``ray.init(...)`` yourself before the study (``n_jobs`` then defaults to the cluster's
CPUs). The driver's ``sys.path`` travels to the actors (entries missing there are harmless),
but rustybt and the modules of the workload's functions must be installed on every node
(or shipped with ``ray.init(runtime_env={"py_modules": [...]})``). Actors on other machines
open the bundle from the same path: keep the rustybt root on a shared filesystem (NFS, a
mounted volume) and give it as ``AlgorithmWorkload(root=...)``; each machine maps its own
copy of the store, built from the bundle's Parquet by the first actor there that needs it
(under a file lock, see :mod:`rustybt.data.store.mapped`).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from typing import Any

from rustybt.errors import BackendUnavailable, WorkerSetupFailed
from rustybt.optimization.executors._pooled import PooledExecutor
from rustybt.optimization.executors._worker import WorkerInfo, prepare
from rustybt.optimization.executors.base import run_trial
from rustybt.optimization.trial import TrialResult, TrialSpec

__all__ = ["RayExecutor"]


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise BackendUnavailable(
            "the 'ray' backend needs Ray: pip install 'rustybt[ray]'") from exc
    return ray


class _TrialActor:
    """The body of one Ray actor: holds the set-up workload, runs one trial per call."""

    def __init__(self, blob: bytes, sys_path: list[str]) -> None:
        import ray

        self.workload, info = prepare(blob, sys_path)
        node = ray.get_runtime_context().get_node_id()[:8]
        self.info = replace(info, name=f"ray:{node}:pid:{os.getpid()}")

    def ready(self) -> WorkerInfo:
        return self.info

    def load(self, blob: bytes, sys_path: list[str]) -> WorkerInfo:
        """Set up another workload in this actor (a new walk-forward window)."""
        self.workload, info = prepare(blob, sys_path)
        self.info = replace(info, name=self.info.name)
        return self.info

    def run(self, spec: TrialSpec) -> TrialResult:
        if self.workload is None:  # never reached: the driver stops at a failed setup
            return TrialResult(spec.number, dict(spec.params), status="failed",
                               error=self.info.error, worker=self.info.name)
        return run_trial(self.workload, spec, worker=self.info.name)


class RayExecutor(PooledExecutor):
    """Trials on ``n_jobs`` Ray actors.

    Args:
        n_jobs: Actors (default: this machine's CPUs for a session this executor starts,
            else the cluster's CPUs).
        address: A cluster to connect to when Ray is not initialised yet (``'auto'``,
            ``'ray://HEAD:10001'``); None starts a local session of ``n_jobs`` CPUs.
        ready_timeout: Seconds to wait for every actor to be ready (a cluster short of CPUs
            never places them); None waits forever.
        **init_options: More ``ray.init`` arguments (``runtime_env``, ``namespace``...).

    Attributes:
        workers: How each actor got ready (replacements of dead actors included).
        crashes: Actors that died while running a trial.
    """

    def __init__(self, n_jobs: int | None = None, address: str | None = None,
                 ready_timeout: float | None = 600.0, **init_options: Any) -> None:
        if n_jobs is not None and (type(n_jobs) is not int or n_jobs < 1):
            raise ValueError(f"n_jobs must be an int >= 1, not {n_jobs!r}")
        super().__init__()
        self._requested = n_jobs
        self.n_jobs = n_jobs or 1
        self.address = address
        self.ready_timeout = ready_timeout
        self.init_options = init_options
        self._ray: Any = None
        self._owns_ray = False
        self._actor_class: Any = None
        self._blob_ref: Any = None
        self._actors: list[Any] = []
        self._names: list[str] = []  # actor slot -> its worker name
        self._refs: dict[Any, int] = {}  # ObjectRef of a running trial -> its actor slot

    # -- the transport ----------------------------------------------------------------------
    def _launch(self, blob: bytes) -> None:
        ray = self._ray = _import_ray()
        if not ray.is_initialized():
            options: dict[str, Any] = {"include_dashboard": False, **self.init_options}
            if self.address is None and not os.environ.get("RAY_ADDRESS"):  # a local session
                options.setdefault("num_cpus", self._requested or _local_cpus())
            ray.init(address=self.address, **options)
            self._owns_ray = True
        cpus = int(ray.cluster_resources().get("CPU", 0))
        self.n_jobs = self._requested or max(1, cpus)
        if self.n_jobs > cpus:
            raise ValueError(f"n_jobs={self.n_jobs} actors need {self.n_jobs} CPUs; the Ray "
                             f"cluster has {cpus}")
        self._blob_ref = ray.put(blob)
        self._actor_class = ray.remote(num_cpus=1, max_restarts=0)(_TrialActor)
        self._actors = [self._new_actor() for _ in range(self.n_jobs)]
        self._names = [info.name for info in self._await_ready(
            [actor.ready.remote() for actor in self._actors])]

    def _reload(self, blob: bytes) -> None:
        self._blob_ref = self._ray.put(blob)
        self._names = [info.name for info in self._await_ready(
            [actor.load.remote(self._blob_ref, list(sys.path)) for actor in self._actors])]

    def _slots(self) -> list[int]:
        return list(range(len(self._actors)))

    def _ready(self, slot: int) -> bool:
        return True  # actors are awaited when made

    def _name(self, slot: int) -> str:
        return self._names[slot]

    def _send(self, slot: int, spec: TrialSpec) -> bool:
        self._refs[self._actors[slot].run.remote(spec)] = slot
        return True

    def _wait(self, timeout: float | None) -> bool:
        ray = self._ray
        refs = list(self._refs)
        if not refs:
            return False
        ready, rest = ray.wait(refs, num_returns=1, timeout=timeout)
        if ready and rest:  # take everything else that has finished too
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        for ref in ready:
            slot = self._refs.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayActorError as exc:
                self._crashed(slot, f"Ray actor {self._names[slot]}",
                              detail=f" ({type(exc).__name__})", noun="actor")
                continue
            except ray.exceptions.RayError as exc:  # e.g. a result that does not serialize
                self._trial_error(slot, f"{type(exc).__name__}: {exc}".splitlines()[0])
                continue
            self._finished(slot, result)
        return bool(ready)

    def _renew(self, slot: int) -> None:
        self._ray.kill(self._actors[slot], no_restart=True)
        fresh = self._new_actor()
        self._actors[slot] = fresh
        self._names[slot] = self._await_ready([fresh.ready.remote()])[0].name

    def _stop(self, cancel: bool) -> None:
        _ = cancel  # running trials were drained or are dropped: the actors just go
        if self._ray is not None:
            for actor in self._actors:
                self._ray.kill(actor, no_restart=True)
        self._actors, self._names, self._refs = [], [], {}
        if self._owns_ray and self._ray is not None:
            self._ray.shutdown()
            self._owns_ray = False

    # -- actors ---------------------------------------------------------------------------
    def _new_actor(self) -> Any:
        return self._actor_class.remote(self._blob_ref, list(sys.path))

    def _await_ready(self, refs: list[Any]) -> list[WorkerInfo]:
        ray = self._ray
        t0 = time.perf_counter()
        _, pending = ray.wait(refs, num_returns=len(refs), timeout=self.ready_timeout)
        if pending:
            raise WorkerSetupFailed(
                f"{len(pending)} of {len(refs)} Ray actors not ready after "
                f"{self.ready_timeout} s (does the cluster have {self.n_jobs} free CPUs?)")
        boot = time.perf_counter() - t0
        infos = []
        for ref in refs:
            try:
                info = ray.get(ref)
            except ray.exceptions.RayActorError as exc:
                raise WorkerSetupFailed(f"a Ray actor died before it was ready: {exc}") from exc
            info = replace(info, boot_s=boot)
            self.workers.append(info)
            infos.append(info)
            if info.error is not None:
                raise WorkerSetupFailed(info.error)
        return infos


def _local_cpus() -> int:
    from rustybt.optimization.executors.processes import default_n_jobs

    return default_n_jobs()
