"""``ProcessExecutor``: a persistent pool of worker processes on this machine.

Design and invariants:

- Workers are started with ``spawn`` (default) or ``forkserver``, never ``fork``. A forked
  child inherits the parent's memory as it is at that moment: locks held by the parent's
  other threads (Arrow and DuckDB thread pools, the progress bar, a Ray client) stay held
  forever in the child, the parent's maps and file handles come along (the point is that
  each worker opens the bundle *by path* and maps the same files itself), and Python
  deprecates forking a multi-threaded process (3.12 warns; 3.14 no longer defaults to it).
  A spawned worker is a fresh interpreter: it imports what the workload needs and nothing else.
- The workload is pickled once by the parent and sent once to each worker, which unpickles
  it and calls ``setup()`` once (:mod:`._worker`); the workers then stay up for every trial
  of the study. No bar data ever crosses a pipe: ``AlgorithmWorkload`` opens its bundle
  through the worker's ``BundleConnectionPool`` (one mapped portal per process, the same
  Arrow files in the OS page cache for every worker).
- Each worker has its own pipe and gets one trial at a time, only when idle, so the parent
  always knows which trial a worker runs. Results stream back in completion order
  (``multiprocessing.connection.wait`` over the busy workers' pipes and process sentinels).
- A trial that raises comes back ``failed`` with its error (the worker goes on). A worker
  that dies (``os._exit``, a segfault, the OOM killer) fails the trial it was running with
  an error naming the worker, its exit code or signal and the trial, and a fresh worker
  (same workload, setup again) takes its place; other trials are unaffected.
- Ctrl-C: workers start with SIGINT ignored (the disposition survives the exec of a spawned
  interpreter and is set again first thing in the worker), so a terminal's Ctrl-C reaches
  only the parent. Its KeyboardInterrupt makes the study call ``close(cancel=True)``, which
  drops queued trials and terminates the workers: no tracebacks from children.
- ``OptimizationConfig.persistent_workers`` off (the workload's ``config``): each worker exits
  after one trial and a fresh one (setup again) takes its place; the benchmark baseline.
- ``start`` returns once every worker is ready; a workload that does not pickle, does not
  import in a worker, or whose ``setup`` raises is ``WorkerSetupFailed`` naming the worker.
  ``start`` on a running pool sends the new workload (pickled bytes) down each worker's pipe:
  the same processes set it up and run its trials (a walk-forward's windows).
- The queue, dispatch, result and crash bookkeeping is :class:`~._pooled.PooledExecutor`'s,
  shared with the Ray backend; this module is the transport (pipes, sentinels, processes).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from rustybt.errors import WorkerSetupFailed
from rustybt.optimization.executors._pooled import PooledExecutor
from rustybt.optimization.executors._worker import WorkerInfo, prepare
from rustybt.optimization.executors.base import run_trial
from rustybt.optimization.trial import TrialResult, TrialSpec

__all__ = ["ProcessExecutor", "default_n_jobs"]

START_METHODS = ("spawn", "forkserver")
_GRACE_S = 5.0  # how long close() waits for a worker to exit before killing it


def default_n_jobs() -> int:
    """The CPUs this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


def _worker_main(conn: Connection, blob: bytes, sys_path: list[str]) -> None:
    """A worker's life: set up once, then run trials until told to stop or orphaned."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    workload, info = prepare(blob, sys_path)
    conn.send(info)
    if workload is None:
        return
    while True:
        try:
            spec = conn.recv()
        except (EOFError, OSError):  # the parent went away
            return
        if spec is None:
            return
        if isinstance(spec, bytes):  # another workload for the same worker (a new window)
            workload, info = prepare(spec, sys_path)
            conn.send(info)
            if workload is None:
                return
            continue
        result = run_trial(workload, spec, worker=info.name)
        try:
            conn.send(result)
        except (BrokenPipeError, EOFError, OSError):
            return
        except Exception as exc:  # a result that does not pickle (odd metric values)
            conn.send(TrialResult(spec.number, dict(spec.params), status="failed",
                                  error=f"result does not pickle: {type(exc).__name__}: {exc}",
                                  duration=result.duration, worker=info.name,
                                  fidelity=spec.fidelity))


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Start children with SIGINT ignored (inherited through exec); main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    started: float
    info: WorkerInfo | None = None  # None while booting (or setting up a new workload)


class ProcessExecutor(PooledExecutor):
    """Trials on a persistent pool of ``n_jobs`` worker processes.

    Args:
        n_jobs: Worker processes (default: the CPUs this process may use).
        start_method: ``'spawn'`` (default, the same on every OS) or ``'forkserver'``
            (POSIX); ``'fork'`` is refused (see the module docstring).

    Attributes:
        workers: How each worker got ready (replacements of crashed workers included).
        crashes: Workers that died while running a trial.
    """

    def __init__(self, n_jobs: int | None = None, start_method: str = "spawn") -> None:
        if n_jobs is None:
            n_jobs = default_n_jobs()
        if type(n_jobs) is not int or n_jobs < 1:
            raise ValueError(f"n_jobs must be an int >= 1, not {n_jobs!r}")
        if start_method not in START_METHODS:
            raise ValueError(f"start_method must be one of {START_METHODS}, not "
                             f"{start_method!r} (fork copies the parent's threads and maps)")
        super().__init__()
        self.n_jobs = n_jobs
        self.start_method = start_method
        self._ctx: Any = None
        self._blob = b""
        self._pool: list[_Worker] = []
        self._retired: list[_Worker] = []  # non-persistent workers told to exit

    @property
    def pids(self) -> list[int]:
        """Process ids of the pool's current workers (booting replacements included)."""
        return [w.process.pid for w in self._pool if w.process.pid is not None]

    # -- the transport ----------------------------------------------------------------------
    def _launch(self, blob: bytes) -> None:
        self._blob = blob
        self._ctx = mp.get_context(self.start_method)
        for _ in range(self.n_jobs):
            self._pool.append(self._spawn())
        self._await_ready()

    def _reload(self, blob: bytes) -> None:
        self._blob = blob
        for slot, worker in enumerate(self._pool):
            worker.info, worker.started = None, time.perf_counter()
            try:
                worker.conn.send(blob)
            except (BrokenPipeError, OSError):  # died while idle: a fresh one loads it
                self._renew(slot)
        self._await_ready()

    def _await_ready(self) -> None:
        while any(w.info is None for w in self._pool):
            self._wait(None)

    def _slots(self) -> list[int]:
        return list(range(len(self._pool)))

    def _ready(self, slot: int) -> bool:
        return self._pool[slot].info is not None

    def _name(self, slot: int) -> str:
        info = self._pool[slot].info
        return info.name if info is not None else f"pid:{self._pool[slot].process.pid}"

    def _waiting(self) -> bool:
        return bool(self._busy) or any(w.info is None for w in self._pool)

    def _send(self, slot: int, spec: TrialSpec) -> bool:
        try:
            self._pool[slot].conn.send(spec)
        except (BrokenPipeError, OSError):
            self._renew(slot)
            return False
        return True

    def _wait(self, timeout: float | None) -> bool:
        active = [(slot, w) for slot, w in enumerate(self._pool)
                  if w.info is None or slot in self._busy]
        if not active:
            return False
        ready = set(wait([o for _, w in active for o in (w.conn, w.process.sentinel)],
                         timeout))
        for slot, worker in active:
            if worker.conn in ready or worker.process.sentinel in ready:
                self._receive(slot, worker)
        return bool(ready)

    def _receive(self, slot: int, worker: _Worker) -> None:
        try:
            if not worker.conn.poll():  # only the sentinel fired
                if not worker.process.is_alive():
                    self._died(slot, worker)
                return
            message = worker.conn.recv()
        except (EOFError, OSError):  # its end of the pipe closed: it exited
            self._died(slot, worker)
            return
        if isinstance(message, WorkerInfo):
            info = replace(message, boot_s=time.perf_counter() - worker.started)
            worker.info = info
            self.workers.append(info)
            if info.error is not None:  # it exits: drop it so nothing is sent to it
                self._pool.remove(worker)
                worker.process.join(timeout=_GRACE_S)
                worker.conn.close()
                raise WorkerSetupFailed(info.error)
        else:
            self._finished(slot, message)

    def _died(self, slot: int, worker: _Worker) -> None:
        worker.process.join(timeout=_GRACE_S)
        if worker.process.is_alive():  # closed its pipe but hangs: make it so
            worker.process.kill()
            worker.process.join()
        pid, how = worker.process.pid, _describe_exit(worker.process.exitcode)
        if worker.info is None:
            raise WorkerSetupFailed(f"worker pid:{pid} died ({how}) before it was ready")
        self._crashed(slot, f"worker pid:{pid}", f" ({how})")

    def _renew(self, slot: int) -> None:
        """A fresh worker in ``slot``; without ``persistent_workers`` the old one is told to
        exit (reaped later), else it is gone already."""
        worker = self._pool[slot]
        if not self._persistent and worker.process.is_alive():
            with contextlib.suppress(BrokenPipeError, OSError):
                worker.conn.send(None)
            self._retired = [w for w in self._retired if w.process.is_alive()]  # reaps
            self._retired.append(worker)
        else:
            worker.conn.close()
        self._pool[slot] = self._spawn()

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(target=_worker_main, args=(child, self._blob, list(sys.path)),
                                    name="rustybt-trial-worker", daemon=True)
        with _sigint_ignored():
            process.start()
        child.close()
        return _Worker(process, parent, time.perf_counter())

    def _stop(self, cancel: bool) -> None:
        pool, self._pool = self._pool + self._retired, []
        self._retired = []
        for worker in pool:
            if cancel or not worker.process.is_alive():
                continue
            with contextlib.suppress(BrokenPipeError, OSError):
                worker.conn.send(None)
        for worker in pool:
            if cancel:
                worker.process.terminate()
            worker.process.join(timeout=_GRACE_S)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
