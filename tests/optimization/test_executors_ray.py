"""The Ray backend on a local ``ray.init(num_cpus=2)`` (one Ray session for this module).

Same proof as the process backend: the dual moving average grid and a seeded random search
give the same trials and metrics as serial; failing trials are recorded; an actor that dies
fails its trial and is replaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opt_workloads import FAIL_AT, bowl

from rustybt.optimization import (
    FloatRange,
    FunctionWorkload,
    IntRange,
    Objective,
    ParameterSpace,
    RandomSearch,
    RayExecutor,
    SerialExecutor,
    Study,
    StudyResult,
    TrialSpec,
)

ray = pytest.importorskip("ray")

#: One xdist worker runs the whole module, so the suite starts one Ray session, not two (~9 s).
pytestmark = pytest.mark.xdist_group("ray")


@pytest.fixture(scope="module", autouse=True)
def ray_session() -> Iterator[None]:
    """One local Ray session of 2 CPUs for the module (started by the test, not the executor)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def same_trials(a: StudyResult, b: StudyResult) -> None:
    per_backend = ["duration", "worker", "cache_hit_rate"]  # the history cache is per worker
    left, right = a.to_pandas().drop(columns=per_backend), b.to_pandas().drop(columns=per_backend)
    assert left.equals(right), f"\n{left}\n!=\n{right}"


def test_dma_grid_is_identical_on_serial_and_ray(dma: Any) -> None:
    executor = RayExecutor(2)
    result = dma.study(executor)
    same_trials(dma.serial, result)
    assert result.best_params == dma.serial.best_params
    assert len(executor.workers) == 2
    assert {t.worker for t in result.trials} <= {w.name for w in executor.workers}
    assert all(w.name.startswith("ray:") for w in executor.workers)
    assert ray.is_initialized()  # a session the executor did not start is left up


def test_random_search_same_seed_same_trials_and_failures_on_ray() -> None:
    space = ParameterSpace({"x": IntRange(0, 9), "y": FloatRange(0.0, 1.0)})
    runs = [Study(FunctionWorkload(bowl), space, RandomSearch(8), Objective("score"),
                  executor=executor, seed=5, progress=False).optimize()
            for executor in (SerialExecutor(), RayExecutor(2))]
    for result in runs:
        for t in result.trials:
            t.metrics.pop("pid", None)
    same_trials(*runs)
    failed = [t for t in runs[1].trials if t.params["x"] == FAIL_AT]
    assert failed and all(t.status == "failed" and (t.error or "").startswith(
        f"ValueError: x={FAIL_AT} is refused on purpose") for t in failed)


def test_a_dead_actor_fails_its_trial_and_is_replaced() -> None:
    executor = RayExecutor(2)
    executor.start(FunctionWorkload(bowl))
    first = {w.name for w in executor.workers}
    specs = [{"x": 5, "crash": True}, {"x": 6, "crash": True}, {"x": 7}, {"x": 8}]
    for n, params in enumerate(specs):
        executor.submit(TrialSpec(n, params))
    got: list[Any] = []
    while len(got) < len(specs):
        got.extend(executor.results())
    executor.close()
    got.sort(key=lambda r: r.number)
    assert [r.status for r in got] == ["failed", "failed", "ok", "ok"]
    for r in got[:2]:
        assert (r.error or "").startswith(f"WorkerCrashed: Ray actor {r.worker} died while "
                                          f"running trial {r.number}"), r.error
    assert executor.crashes == 2 and len(executor.workers) == 4
    assert {r.worker for r in got[2:]}.isdisjoint(first)  # run by the replacements
    assert [r.metrics["score"] for r in got[2:]] == [0.0, -1.0]


def test_more_jobs_than_cluster_cpus_is_refused() -> None:
    with pytest.raises(ValueError, match="n_jobs=3 actors need 3 CPUs; the Ray cluster has 2"):
        RayExecutor(3).start(FunctionWorkload(bowl))
    assert ray.is_initialized()


def test_start_on_running_actors_ships_the_new_workload_to_the_same_actors() -> None:
    from _workloads import load_offset, paraboloid

    executor = RayExecutor(2)
    executor.start(FunctionWorkload(bowl))
    names = [w.name for w in executor.workers]
    executor.start(FunctionWorkload(paraboloid, loader=load_offset))
    assert [w.name for w in executor.workers[2:]] == names
    for n in range(3):
        executor.submit(TrialSpec(n, {"x": 3, "y": -1}))
    got: list[Any] = []
    while len(got) < 3:
        got.extend(executor.results())
    executor.close()
    assert [r.metrics["score"] for r in got] == [10.0] * 3
    assert {r.worker for r in got} <= set(names)
