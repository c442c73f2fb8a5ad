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
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from rustybt.errors import WorkerSetupFailed
from rustybt.optimization.executors._worker import WorkerInfo, pack, prepare
from rustybt.optimization.executors.base import Executor, run_trial
from rustybt.optimization.trial import TrialResult, TrialSpec
from rustybt.optimization.workload import Workload

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
    info: WorkerInfo | None = None  # None while booting
    spec: TrialSpec | None = None  # the trial it runs
    sent: float = 0.0


class ProcessExecutor(Executor):
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
        self.n_jobs = n_jobs
        self.start_method = start_method
        self.workers: list[WorkerInfo] = []
        self.crashes = 0
        self._ctx: Any = None
        self._blob = b""
        self._pool: list[_Worker] = []
        self._retired: list[_Worker] = []  # non-persistent workers told to exit
        self._persistent = True
        self._queue: deque[TrialSpec] = deque()
        self._done: deque[TrialResult] = deque()
        self._closed = False

    @property
    def pids(self) -> list[int]:
        """Process ids of the pool's current workers (booting replacements included)."""
        return [w.process.pid for w in self._pool if w.process.pid is not None]

    # -- the Executor API -----------------------------------------------------------------
    def start(self, workload: Workload) -> None:
        if self._pool:
            raise RuntimeError("ProcessExecutor already started")
        self._blob = pack(workload)
        config = getattr(workload, "config", None)
        self._persistent = bool(getattr(config, "persistent_workers", True))
        self._ctx = mp.get_context(self.start_method)
        self._closed = False
        try:
            for _ in range(self.n_jobs):
                self._pool.append(self._spawn())
            while any(w.info is None for w in self._pool):
                self._poll(None)
        except BaseException:
            self.close(cancel=True)
            raise

    def submit(self, spec: TrialSpec) -> None:
        if not self._pool or self._closed:
            raise RuntimeError("ProcessExecutor is not running: start() it first")
        self._queue.append(spec)
        self._dispatch()

    def results(self, timeout: float | None = None) -> Iterator[TrialResult]:
        if not self._done and not self._closed:
            self._poll(timeout)
        while self._done:
            yield self._done.popleft()

    def close(self, cancel: bool = False) -> None:
        """Stop the workers; ``cancel=False`` first finishes queued and running trials
        (their results stay available from :meth:`results`)."""
        if self._closed:
            return
        self._closed = True
        try:
            if cancel:
                self._queue.clear()
            else:
                while (self._queue and self._pool) or any(w.spec is not None
                                                          for w in self._pool):
                    self._poll(None)
                self._queue.clear()  # left only when no worker is left to run it
        finally:
            self._stop_all(cancel)

    # -- workers --------------------------------------------------------------------------
    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(target=_worker_main, args=(child, self._blob, list(sys.path)),
                                    name="rustybt-trial-worker", daemon=True)
        with _sigint_ignored():
            process.start()
        child.close()
        return _Worker(process, parent, time.perf_counter())

    def _dispatch(self) -> None:
        for worker in self._pool:
            if not self._queue:
                return
            if worker.info is None or worker.spec is not None:
                continue
            spec = self._queue.popleft()
            try:
                worker.conn.send(spec)
            except (BrokenPipeError, OSError):  # died while idle: retry on its replacement
                self._queue.appendleft(spec)
                self._replace(worker)
                continue
            worker.spec, worker.sent = spec, time.perf_counter()

    def _poll(self, timeout: float | None) -> None:
        """Handle messages from booting or busy workers until a new result (or nothing left
        to wait for, or ``timeout`` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        had = len(self._done)
        while len(self._done) == had:
            active = [w for w in self._pool if w.info is None or w.spec is not None]
            if not active:
                return
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = set(wait([o for w in active for o in (w.conn, w.process.sentinel)],
                             remaining))
            if not ready and deadline is not None:
                return
            for worker in active:
                if worker.conn in ready or worker.process.sentinel in ready:
                    self._receive(worker)
            self._dispatch()

    def _receive(self, worker: _Worker) -> None:
        try:
            if not worker.conn.poll():  # only the sentinel fired
                if not worker.process.is_alive():
                    self._died(worker)
                return
            message = worker.conn.recv()
        except (EOFError, OSError):  # its end of the pipe closed: it exited
            self._died(worker)
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
            worker.spec = None
            self._done.append(message)
            if not self._persistent:
                self._retire(worker)

    def _died(self, worker: _Worker) -> None:
        worker.process.join(timeout=_GRACE_S)
        if worker.process.is_alive():  # closed its pipe but hangs: make it so
            worker.process.kill()
            worker.process.join()
        pid, how = worker.process.pid, _describe_exit(worker.process.exitcode)
        spec = worker.spec
        if worker.info is None:
            raise WorkerSetupFailed(f"worker pid:{pid} died ({how}) before it was ready")
        if spec is not None:
            self.crashes += 1
            self._done.append(TrialResult(
                spec.number, dict(spec.params), status="failed",
                error=(f"WorkerCrashed: worker pid:{pid} died ({how}) while running trial "
                       f"{spec.number}; a fresh worker took its place"),
                duration=time.perf_counter() - worker.sent, worker=worker.info.name,
                fidelity=spec.fidelity))
        self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        if worker not in self._retired:
            worker.conn.close()
        self._pool[self._pool.index(worker)] = self._spawn()

    def _retire(self, worker: _Worker) -> None:
        """``persistent_workers`` off: this worker exits, a fresh one (setup again) follows."""
        with contextlib.suppress(BrokenPipeError, OSError):
            worker.conn.send(None)
        self._retired = [w for w in self._retired if w.process.is_alive()]  # reaps the rest
        self._retired.append(worker)
        self._replace(worker)

    def _stop_all(self, cancel: bool) -> None:
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
