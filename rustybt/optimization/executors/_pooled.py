"""``PooledExecutor``: the one result loop of the executors with long-lived workers.

The process pool and the Ray actors differ only in how they talk to a worker (a pipe, an actor
call); the bookkeeping is the same and lives here, once:

- workers sit in numbered *slots*; a slot runs one trial at a time and gets one only when it
  is idle and ready (``_busy``: slot → the trial it runs and when it was sent), so the
  executor always knows which trial a worker runs;
- :meth:`submit` queues a spec and hands queued specs to idle slots (:meth:`_dispatch`); a
  send to a worker that is gone puts the spec back at the head of the queue (the backend
  replaces the worker);
- :meth:`results` yields finished trials in completion order, waiting (:meth:`_poll`) for
  at least one new result when none is waiting;
- a finished trial (:meth:`_finished`) frees its slot; with
  ``OptimizationConfig.persistent_workers`` off the slot's worker is then replaced by a fresh
  one (setup again). A worker that dies while running a trial (:meth:`_crashed`) fails that
  trial, naming the worker and the trial, and is replaced; other trials are unaffected;
- :meth:`close` finishes queued and running trials first (their results stay available), or
  drops them with ``cancel=True``, then stops the workers (:meth:`_stop`);
- :meth:`start` on a running executor ships the new workload to the *same* workers
  (:meth:`_reload`: each unpickles it and runs its ``setup`` again), so a walk-forward reuses
  one pool for every window.

A backend implements the transport: :meth:`_launch`, :meth:`_reload`, :meth:`_send`,
:meth:`_wait`, :meth:`_renew`, :meth:`_stop` and the slot queries.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections import deque
from collections.abc import Iterator

from rustybt.optimization.executors._worker import WorkerInfo, pack
from rustybt.optimization.executors.base import Executor
from rustybt.optimization.trial import TrialResult, TrialSpec
from rustybt.optimization.workload import Workload

__all__ = ["PooledExecutor"]


class PooledExecutor(Executor):
    """Queue, dispatch, result and crash bookkeeping over numbered worker slots.

    Attributes:
        workers: How each worker got ready (replacements and reloads included).
        crashes: Workers that died while running a trial.
    """

    def __init__(self) -> None:
        self.workers: list[WorkerInfo] = []
        self.crashes = 0
        self._queue: deque[TrialSpec] = deque()
        self._done: deque[TrialResult] = deque()
        self._busy: dict[int, tuple[TrialSpec, float]] = {}
        self._closed = True
        self._persistent = True

    # -- the Executor API -----------------------------------------------------------------
    def start(self, workload: Workload) -> None:
        """Start the workers with ``workload``; on a running executor, ship ``workload`` to
        the same workers instead (each sets it up again; nothing may be in flight)."""
        blob = pack(workload)
        config = getattr(workload, "config", None)
        self._persistent = bool(getattr(config, "persistent_workers", True))
        if not self._closed and self._slots():
            if self._busy or self._queue:
                raise RuntimeError(f"{type(self).__name__}.start() with trials in flight")
            try:
                self._reload(blob)
            except BaseException:
                self.close(cancel=True)
                raise
            return
        self._closed = False
        try:
            self._launch(blob)
        except BaseException:
            self.close(cancel=True)
            raise

    def submit(self, spec: TrialSpec) -> None:
        if self._closed or not self._slots():
            raise RuntimeError(f"{type(self).__name__} is not running: start() it first")
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
                while (self._queue and self._slots()) or self._busy:
                    self._poll(None)
                self._queue.clear()  # left only when no worker is left to run it
        finally:
            self._busy = {}
            self._stop(cancel)

    # -- the loop ---------------------------------------------------------------------------
    def _dispatch(self) -> None:
        """Hand queued specs to idle, ready slots."""
        for slot in self._slots():
            if not self._queue:
                return
            if slot in self._busy or not self._ready(slot):
                continue
            spec = self._queue.popleft()
            if not self._send(slot, spec):  # gone while idle: retried on its replacement
                self._queue.appendleft(spec)
                continue
            self._busy[slot] = (spec, time.perf_counter())

    def _poll(self, timeout: float | None) -> None:
        """Handle worker messages until a new result, nothing left to wait for, or
        ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        had = len(self._done)
        while len(self._done) == had and self._waiting():
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._wait(remaining) and deadline is not None:
                return
            self._dispatch()

    def _waiting(self) -> bool:
        """Whether a message is due from some worker (a running trial, by default)."""
        return bool(self._busy)

    def _finished(self, slot: int, result: TrialResult) -> None:
        """Slot ``slot`` sent back its trial's result."""
        self._busy.pop(slot, None)
        self._done.append(result)
        if not self._persistent:
            self._renew(slot)

    def _crashed(self, slot: int, who: str, how: str = "", detail: str = "",
                 noun: str = "worker") -> None:
        """The worker of ``slot`` (``who``, e.g. ``worker pid:12``) died (``how``, e.g.
        `` (exit code 3)``); its running trial fails, naming it, and a fresh ``noun`` takes
        the slot (``detail`` ends the message)."""
        running = self._busy.pop(slot, None)
        if running is not None:
            spec, sent = running
            self.crashes += 1
            self._done.append(TrialResult(
                spec.number, dict(spec.params), status="failed",
                error=(f"WorkerCrashed: {who} died{how} while running trial {spec.number}; "
                       f"a fresh {noun} took its place{detail}"),
                duration=time.perf_counter() - sent, worker=self._name(slot),
                fidelity=spec.fidelity))
        self._renew(slot)

    def _trial_error(self, slot: int, error: str) -> None:
        """The running trial of ``slot`` failed in transit (its worker lives on)."""
        spec, sent = self._busy.pop(slot)
        self._done.append(TrialResult(spec.number, dict(spec.params), status="failed",
                                      error=error, duration=time.perf_counter() - sent,
                                      fidelity=spec.fidelity))

    # -- the transport, per backend -----------------------------------------------------------
    @abstractmethod
    def _launch(self, blob: bytes) -> None:
        """Start the workers with the pickled workload; return once all are ready."""

    @abstractmethod
    def _reload(self, blob: bytes) -> None:
        """Ship another pickled workload to the running workers; return once all are ready."""

    @abstractmethod
    def _slots(self) -> list[int]:
        """The slots that hold a worker."""

    @abstractmethod
    def _ready(self, slot: int) -> bool:
        """Whether the slot's worker has finished its setup."""

    @abstractmethod
    def _name(self, slot: int) -> str:
        """The slot's worker name in trial results."""

    @abstractmethod
    def _send(self, slot: int, spec: TrialSpec) -> bool:
        """Send ``spec`` to the slot's worker; False (and the worker replaced) when gone."""

    @abstractmethod
    def _wait(self, timeout: float | None) -> bool:
        """Wait up to ``timeout`` for worker messages and handle them (through
        :meth:`_finished`, :meth:`_crashed`...); False when nothing came."""

    @abstractmethod
    def _renew(self, slot: int) -> None:
        """Put a fresh worker (the current workload, setup again) in ``slot``."""

    @abstractmethod
    def _stop(self, cancel: bool) -> None:
        """Stop every worker (``cancel``: at once, without letting them finish)."""
