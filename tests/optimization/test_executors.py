"""The process backend, the backend factory, and that results do not depend on the backend.

Every test runs real worker processes (spawned) on real workloads: the dual moving average
through the engine on a written bundle (``conftest.dma``) and ``opt_workloads.bowl``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import psutil
import pytest
from opt_workloads import FAIL_AT, bowl, failing_loader

from rustybt.errors import BackendUnavailable, WorkerSetupFailed
from rustybt.optimization import (
    FloatRange,
    FunctionWorkload,
    GridSearch,
    IntRange,
    Objective,
    OptimizationConfig,
    ParallelOptimizer,
    ParameterSpace,
    ProcessExecutor,
    RandomSearch,
    RayExecutor,
    SerialExecutor,
    Study,
    StudyResult,
    TrialSpec,
    new_executor,
)

HERE = Path(__file__).resolve().parent
# the only columns allowed to differ by backend (the history cache is per worker)
BACKEND_COLUMNS = ["duration", "worker", "cache_hit_rate"]


def same_trials(a: StudyResult, b: StudyResult) -> None:
    """Identical tables (params, every metric, value, status, error) but BACKEND_COLUMNS."""
    left, right = a.to_pandas().drop(columns=BACKEND_COLUMNS), b.to_pandas().drop(
        columns=BACKEND_COLUMNS)
    assert left.equals(right), f"\n{left}\n!=\n{right}"


def collect(executor: Any, n: int) -> list[Any]:
    got: list[Any] = []
    while len(got) < n:
        got.extend(executor.results())
    return sorted(got, key=lambda r: r.number)


def test_dma_grid_is_identical_on_serial_and_two_processes(dma: Any) -> None:
    executor = ProcessExecutor(2)
    result = dma.study(executor)
    same_trials(dma.serial, result)
    assert result.best_params == dma.serial.best_params
    assert result.best_value == dma.serial.best_value
    assert len(dma.serial.completed) == len(dma.serial.trials) == 4
    assert len({w.pid for w in executor.workers}) == 2
    assert {t.worker for t in result.trials} <= {w.name for w in executor.workers}
    for w in executor.workers:  # fresh-worker ready time: imports dominate, setup maps
        print(f"worker {w.name}: ready {w.boot_s:.2f} s, unpickle {w.unpickle_s * 1e3:.1f} ms, "
              f"setup (bundle pool) {w.setup_s * 1e3:.1f} ms")


def test_random_search_with_the_same_seed_runs_the_same_trials_on_processes() -> None:
    space = ParameterSpace({"x": IntRange(0, 9), "y": FloatRange(0.0, 1.0)})
    runs = [Study(FunctionWorkload(bowl), space, RandomSearch(8), Objective("score"),
                  executor=executor, seed=5, progress=False).optimize()
            for executor in (SerialExecutor(), ProcessExecutor(2))]
    for result in runs:
        for t in result.trials:
            t.metrics.pop("pid", None)
    same_trials(*runs)
    failed = [t for t in runs[1].trials if t.params["x"] == FAIL_AT]
    assert failed, "seed 5 draws x=3 at least once: a failing trial must be in the table"
    assert all(t.status == "failed" and t.error is not None
               and t.error.startswith(f"ValueError: x={FAIL_AT} is refused on purpose")
               for t in failed)
    assert runs[1].best_params == runs[0].best_params


def test_failed_and_crashed_trials_are_recorded_and_the_pool_recovers() -> None:
    executor = ProcessExecutor(2)
    executor.start(FunctionWorkload(bowl))
    first = {w.name for w in executor.workers}
    assert sorted(executor.pids) == sorted(w.pid for w in executor.workers)
    # both first workers die (trials 2 and 3), so trials 4 and 5 need their replacements
    specs = [{"x": 1}, {"x": FAIL_AT}, {"x": 5, "crash": True}, {"x": 6, "crash": True},
             {"x": 7}, {"x": 8}]
    for n, params in enumerate(specs):
        executor.submit(TrialSpec(n, params))
    results = collect(executor, len(specs))
    assert [r.status for r in results] == ["ok", "failed", "failed", "failed", "ok", "ok"]
    assert "ValueError: x=3 is refused on purpose" in (results[1].error or "")
    for crash in results[2:4]:
        assert crash.error is not None
        assert crash.error.startswith(f"WorkerCrashed: worker {crash.worker} died (exit code 3) "
                                      f"while running trial {crash.number}"), crash.error
    assert executor.crashes == 2
    assert {r.worker for r in results} - first, "a replacement worker ran a trial"
    assert not {f"pid:{pid}" for pid in executor.pids} & first  # both first workers replaced
    assert [r.metrics["score"] for r in results if r.status == "ok"] == [-36.0, 0.0, -1.0]

    # close(cancel=True): queued and running trials are dropped, every worker ends
    for n in range(6, 12):
        executor.submit(TrialSpec(n, {"x": 1, "sleep": 60.0}))
    alive = executor.pids
    assert len(alive) == 2
    executor.close(cancel=True)
    assert list(executor.results()) == []
    assert not [pid for pid in alive if psutil.pid_exists(pid)]


def test_a_workload_that_cannot_set_up_raises_naming_the_worker() -> None:
    executor = ProcessExecutor(1, start_method="forkserver")  # the other start method
    with pytest.raises(WorkerSetupFailed, match=r"worker pid:\d+: FunctionWorkload.setup\(\) "
                       r"failed: FileNotFoundError: no such data: /nonexistent/prices.parquet"):
        executor.start(FunctionWorkload(bowl, loader=failing_loader))
    assert executor.workers and not psutil.pid_exists(executor.workers[0].pid)


def test_an_unpicklable_workload_is_refused_before_any_worker_starts() -> None:
    executor = ProcessExecutor(2)
    with pytest.raises(WorkerSetupFailed, match=r"FunctionWorkload cannot be sent to worker "
                       r"processes: .*(lambda|local)"):
        executor.start(FunctionWorkload(lambda params, data: {"score": 1.0}))
    assert executor.workers == []


def test_the_ray_backend_without_ray_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(BackendUnavailable, match=r"pip install 'rustybt\[ray\]'"):
        new_executor("ray", workers=2).start(FunctionWorkload(bowl))


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match=r"start_method must be one of .*fork"):
        ProcessExecutor(2, start_method="fork")
    with pytest.raises(ValueError, match="n_jobs must be an int >= 1, not 0"):
        ProcessExecutor(0)
    with pytest.raises(ValueError, match=r"unknown backend 'dask' \(known: processes, ray, "
                       r"serial\)"):
        ParallelOptimizer("dask")
    with pytest.raises(ValueError, match="the serial backend runs one trial at a time"):
        ParallelOptimizer("serial", n_jobs=2)
    with pytest.raises(ValueError, match="n_jobs must be an int >= 1"):
        RayExecutor(n_jobs=0)
    executor = new_executor("processes", workers=3)
    assert isinstance(executor, ProcessExecutor) and executor.n_jobs == 3
    assert isinstance(new_executor("ray", workers=2), RayExecutor)
    assert ProcessExecutor().n_jobs == len(os.sched_getaffinity(0))
    with pytest.raises(RuntimeError, match="start"):
        ProcessExecutor(1).submit(TrialSpec(0, {"x": 1}))


def test_without_persistent_workers_each_trial_gets_a_fresh_worker() -> None:
    workload = FunctionWorkload(bowl, config=OptimizationConfig(persistent_workers=False))
    executor = ProcessExecutor(1)
    executor.start(workload)
    for n, x in enumerate((5, 6, 7)):
        executor.submit(TrialSpec(n, {"x": x}))
    results = collect(executor, 3)
    executor.close()
    assert [r.metrics["score"] for r in results] == [-4.0, -1.0, 0.0]
    assert len({r.worker for r in results}) == 3  # three processes, one trial each
    assert len(executor.workers) == 3  # ... and the fourth, started for a next trial, was
    # stopped by close() (it may not have reported ready yet)


def test_parallel_optimizer_runs_a_study_on_the_named_backend() -> None:
    space = ParameterSpace({"x": IntRange(4, 9)})
    result = ParallelOptimizer("serial").optimize(FunctionWorkload(bowl), space, GridSearch(),
                                                  Objective("score"), progress=False)
    assert result.best_params == {"x": 7}
    assert result.executor == "SerialExecutor"
    optimizer = ParallelOptimizer("processes", n_jobs=2)
    assert repr(optimizer) == "ParallelOptimizer('processes', n_jobs=2)"
    assert isinstance(optimizer.executor(), ProcessExecutor)


CTRL_C_SCRIPT = """
import signal, sys
# a terminal's process has Python's default SIGINT handler; this one's parent (a test worker)
# may run with SIGINT ignored, which a child inherits and Python then keeps: start as a shell would
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, {here!r})
from opt_workloads import bowl
from rustybt.optimization import *

if __name__ == "__main__":
    executor = ProcessExecutor(2)
    space = ParameterSpace({{"x": IntRange(4, 19), "sleep": Choice([2.0])}})
    def on_result(trial):
        print("done", trial.number, " ".join(str(w.pid) for w in executor.workers), flush=True)
    result = Study(FunctionWorkload(bowl), space, GridSearch(), Objective("score"),
                   executor=executor, progress=False, on_result=on_result).optimize()
    print("interrupted", result.interrupted, len(result.trials), flush=True)
"""


def test_ctrl_c_stops_the_workers_quietly_and_keeps_finished_trials(tmp_path: Path) -> None:
    script = tmp_path / "study.py"
    script.write_text(textwrap.dedent(CTRL_C_SCRIPT.format(here=str(HERE))))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("done "), first + (proc.stderr.read() if proc.stderr else "")
        workers = [int(pid) for pid in first.split()[2:]]
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, err
    last = out.strip().splitlines()[-1]
    assert last.startswith("interrupted True "), out
    assert 1 <= int(last.split()[-1]) < 16
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert len(workers) == 2 and not [pid for pid in workers if psutil.pid_exists(pid)]


def test_start_on_a_running_pool_ships_the_new_workload_to_the_same_workers() -> None:
    from _workloads import load_offset, paraboloid

    executor = ProcessExecutor(2)
    executor.start(FunctionWorkload(bowl))
    pids = sorted(executor.pids)
    executor.submit(TrialSpec(0, {"x": 7}))
    assert collect(executor, 1)[0].metrics["score"] == 0.0
    executor.start(FunctionWorkload(paraboloid, loader=load_offset))  # setup runs again
    assert sorted(executor.pids) == pids
    assert sorted(w.pid for w in executor.workers[2:]) == pids
    for n in range(4):
        executor.submit(TrialSpec(n, {"x": 3, "y": -1}))
    results = collect(executor, 4)
    assert [r.metrics["score"] for r in results] == [10.0] * 4  # the loader's offset
    assert {r.worker for r in results} <= {f"pid:{pid}" for pid in pids}
    executor.submit(TrialSpec(9, {"x": 3, "y": -1}))
    with pytest.raises(RuntimeError, match="trials in flight"):
        executor.start(FunctionWorkload(bowl))
    executor.close(cancel=True)
    assert executor.pids == [] and not [p for p in pids if psutil.pid_exists(p)]
