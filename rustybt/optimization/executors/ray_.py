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
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from rustybt.errors import BackendUnavailable, WorkerSetupFailed
from rustybt.optimization.executors._worker import WorkerInfo, pack, prepare
from rustybt.optimization.executors.base import Executor, run_trial
from rustybt.optimization.trial import TrialResult, TrialSpec
from rustybt.optimization.workload import Workload

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

    def run(self, spec: TrialSpec) -> TrialResult:
        if self.workload is None:  # never reached: the driver stops at a failed setup
            return TrialResult(spec.number, dict(spec.params), status="failed",
                               error=self.info.error, worker=self.info.name)
        return run_trial(self.workload, spec, worker=self.info.name)


class RayExecutor(Executor):
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
        self._requested = n_jobs
        self.n_jobs = n_jobs or 1
        self.address = address
        self.ready_timeout = ready_timeout
        self.init_options = init_options
        self.workers: list[WorkerInfo] = []
        self.crashes = 0
        self._ray: Any = None
        self._owns_ray = False
        self._actor_class: Any = None
        self._blob_ref: Any = None
        self._actors: list[Any] = []
        self._names: list[str] = []  # actor slot -> its worker name
        self._busy: dict[int, Any] = {}  # actor slot -> ObjectRef of its trial
        self._running: dict[Any, tuple[int, TrialSpec, float]] = {}
        self._queue: deque[TrialSpec] = deque()
        self._done: deque[TrialResult] = deque()
        self._closed = False
        self._persistent = True

    # -- the Executor API -----------------------------------------------------------------
    def start(self, workload: Workload) -> None:
        if self._actors:
            raise RuntimeError("RayExecutor already started")
        blob = pack(workload)
        config = getattr(workload, "config", None)
        self._persistent = bool(getattr(config, "persistent_workers", True))
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
            self._shutdown()
            raise ValueError(f"n_jobs={self.n_jobs} actors need {self.n_jobs} CPUs; the Ray "
                             f"cluster has {cpus}")
        self._closed = False
        try:
            self._blob_ref = ray.put(blob)
            self._actor_class = ray.remote(num_cpus=1, max_restarts=0)(_TrialActor)
            self._actors = [self._new_actor() for _ in range(self.n_jobs)]
            self._names = [info.name for info in self._await_ready(self._actors)]
        except BaseException:
            self.close(cancel=True)
            raise

    def submit(self, spec: TrialSpec) -> None:
        if not self._actors or self._closed:
            raise RuntimeError("RayExecutor is not running: start() it first")
        self._queue.append(spec)
        self._dispatch()

    def results(self, timeout: float | None = None) -> Iterator[TrialResult]:
        if not self._done and self._running:
            self._poll(timeout)
        while self._done:
            yield self._done.popleft()

    def close(self, cancel: bool = False) -> None:
        """Stop the actors (and a Ray session this executor started); ``cancel=False``
        first finishes queued and running trials (their results stay in :meth:`results`)."""
        if self._closed:
            return
        self._closed = True
        try:
            if cancel:
                self._queue.clear()
            else:
                while self._running:
                    self._poll(None)
        finally:
            for actor in self._actors:
                self._ray.kill(actor, no_restart=True)
            self._actors, self._names, self._busy, self._running = [], [], {}, {}
            self._shutdown()

    # -- actors ---------------------------------------------------------------------------
    def _new_actor(self) -> Any:
        return self._actor_class.remote(self._blob_ref, list(sys.path))

    def _await_ready(self, actors: list[Any]) -> list[WorkerInfo]:
        ray = self._ray
        t0 = time.perf_counter()
        refs = [actor.ready.remote() for actor in actors]
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

    def _dispatch(self) -> None:
        for slot, actor in enumerate(self._actors):
            if not self._queue:
                return
            if slot in self._busy:
                continue
            spec = self._queue.popleft()
            ref = actor.run.remote(spec)
            self._busy[slot] = ref
            self._running[ref] = (slot, spec, time.perf_counter())

    def _poll(self, timeout: float | None) -> None:
        ray = self._ray
        refs = list(self._running)
        ready, rest = ray.wait(refs, num_returns=1, timeout=timeout)
        if ready and rest:  # take everything else that has finished too
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        for ref in ready:
            slot, spec, sent = self._running.pop(ref)
            del self._busy[slot]
            try:
                self._done.append(ray.get(ref))
                if not self._persistent:  # a fresh actor (setup again) for the next trial
                    self._ray.kill(self._actors[slot], no_restart=True)
                    self._actors[slot] = self._new_actor()
                    self._names[slot] = self._await_ready([self._actors[slot]])[0].name
            except ray.exceptions.RayActorError as exc:
                self._actor_died(slot, spec, sent, exc)
            except ray.exceptions.RayError as exc:  # e.g. a result that does not serialize
                self._done.append(TrialResult(
                    spec.number, dict(spec.params), status="failed",
                    error=f"{type(exc).__name__}: {exc}".splitlines()[0],
                    duration=time.perf_counter() - sent, fidelity=spec.fidelity))
        self._dispatch()

    def _actor_died(self, slot: int, spec: TrialSpec, sent: float, exc: Exception) -> None:
        self.crashes += 1
        name = self._names[slot]
        self._done.append(TrialResult(
            spec.number, dict(spec.params), status="failed",
            error=(f"WorkerCrashed: Ray actor {name} died while running trial {spec.number}; "
                   f"a fresh actor took its place ({type(exc).__name__})"),
            duration=time.perf_counter() - sent, worker=name, fidelity=spec.fidelity))
        self._ray.kill(self._actors[slot], no_restart=True)
        fresh = self._new_actor()
        self._actors[slot] = fresh
        self._names[slot] = self._await_ready([fresh])[0].name

    def _shutdown(self) -> None:
        if self._owns_ray and self._ray is not None:
            self._ray.shutdown()
            self._owns_ray = False


def _local_cpus() -> int:
    from rustybt.optimization.executors.processes import default_n_jobs

    return default_n_jobs()
