"""BayesianSearch: TPE on optuna, constraints, determinism, multi-fidelity pruning."""

from __future__ import annotations

import math
from typing import Any

import pytest

import rustybt.api as api
from rustybt import Bundle
from rustybt.optimization import (
    AlgorithmWorkload,
    BayesianSearch,
    Choice,
    FloatRange,
    FunctionWorkload,
    IntRange,
    Objective,
    ParameterSpace,
    RandomSearch,
    Study,
)
from rustybt.optimization.samplers.bayesian import INFEASIBLE

XYZ = ParameterSpace({n: FloatRange(-10.0, 10.0) for n in ("x", "y", "z")})


def bowl(params: dict[str, Any], data: Any) -> dict[str, float]:
    """A paraboloid with its minimum 0 at (3, -2, 1); fidelity does not change it, so a low
    rung predicts the final value exactly."""
    x, y, z = params["x"], params["y"], params["z"]
    return {"loss": (x - 3) ** 2 + (y + 2) ** 2 + (z - 1) ** 2}


def run(sampler: Any, space: ParameterSpace = XYZ, fn: Any = bowl, seed: int = 0,
        direction: str = "minimize", metric: str = "loss") -> Any:
    return Study(FunctionWorkload(fn), space, sampler, Objective(metric, direction),
                 seed=seed, progress=False).optimize()


def test_tpe_finds_the_bowl_bottom_far_better_than_random() -> None:
    tpe = [run(BayesianSearch(60), seed=s).best_value for s in range(3)]
    rnd = [run(RandomSearch(60), seed=s).best_value for s in range(3)]
    # seeded, so deterministic: TPE's worst seed is 4x better than random's best seed
    assert max(tpe) * 4 < min(rnd), (tpe, rnd)


def test_same_seed_same_trials_other_seed_other_trials() -> None:
    def trials(seed: int) -> list[tuple[Any, ...]]:
        res = run(BayesianSearch(24, batch=3, multi_fidelity=True), seed=seed)
        return [(t.number, t.params, t.status, t.fidelity, t.value) for t in res.trials]

    first = trials(7)
    assert first == trials(7)
    assert first != trials(8)


def test_objective_direction_maps_to_optuna() -> None:
    sampler = BayesianSearch(30)
    res = run(sampler, direction="maximize", metric="neg",
              fn=lambda p, d: {"neg": -bowl(p, d)["loss"]})
    import optuna

    assert sampler.optuna_study.direction == optuna.study.StudyDirection.MAXIMIZE
    best_optuna = sampler.optuna_study.best_trial
    assert res.best_value == pytest.approx(best_optuna.value)
    assert res.best_value > -20


def test_an_infeasible_point_never_reaches_the_study() -> None:
    # 66 of the 441 points meet x + y <= 10
    space = ParameterSpace({"x": IntRange(0, 20), "y": IntRange(0, 20)},
                           constraints=[lambda p: p["x"] + p["y"] <= 10])
    seen: list[dict[str, Any]] = []

    def f(params: dict[str, Any], data: Any) -> dict[str, float]:
        seen.append(params)
        return {"loss": float(params["x"] - params["y"])}

    sampler = BayesianSearch(20)
    res = run(sampler, space, f)
    assert len(seen) == len(res.trials) == 20
    assert all(p["x"] + p["y"] <= 10 for p in seen)
    assert sampler.rejected > 0
    # each rejection is a pruned optuna trial marked infeasible, so TPE learns from it
    infeasible = [t for t in sampler.optuna_study.trials
                  if t.constraints == {INFEASIBLE: 1.0} and t.state.name == "PRUNED"]
    assert len(infeasible) == sampler.rejected


def test_after_max_rejects_a_random_feasible_point_is_used() -> None:
    space = ParameterSpace({"x": IntRange(0, 50), "y": IntRange(0, 50)},
                           constraints=[lambda p: p["x"] == 7 and p["y"] == 9])
    sampler = BayesianSearch(5, max_rejects=1)
    res = run(sampler, space, lambda p, d: {"loss": 1.0})
    assert [t.params for t in res.trials] == [{"x": 7, "y": 9}] * 5
    assert [t.status for t in res.trials] == ["ok"] * 5


def test_every_parameter_kind_stays_in_the_space() -> None:
    space = ParameterSpace({
        "i": IntRange(5, 52, 5), "ilog": IntRange(1, 1000, log=True),
        "f": FloatRange(0.0, 1.0, 0.1), "flog": FloatRange(1e-3, 1.0, log=True),
        "c": Choice([(1, 2), "a", None]),
    })
    res = run(BayesianSearch(40), space, lambda p, d: {"loss": float(p["i"])})
    assert len(res.completed) == 40
    for t in res.trials:
        space.validate(t.params)
        assert isinstance(t.params["i"], int) and isinstance(t.params["ilog"], int)
    assert {repr(t.params["c"]) for t in res.trials} == {"(1, 2)", "'a'", "None"}
    assert max(t.params["i"] for t in res.trials) <= 50  # the last point on the step grid


@pytest.mark.parametrize("pruner", ["hyperband", "successive_halving"])
def test_multi_fidelity_prunes_clearly_worse_trials(pruner: str) -> None:
    fidelities: list[float] = []

    def f(params: dict[str, Any], data: Any) -> dict[str, float]:
        fidelities.append(params.get("_fidelity", 1.0))
        return bowl(params, data)

    sampler = BayesianSearch(40, multi_fidelity=True, pruner=pruner)
    res = run(sampler, fn=f, seed=1)
    pruned = [t for t in res.trials if t.status == "pruned"]
    assert len(pruned) >= 5  # seeded: 13 (Hyperband), 21 (successive halving)
    for t in pruned:
        assert t.fidelity < 1.0 and t.intermediate and t.intermediate[-1][0] == t.fidelity
    assert sorted(set(fidelities)) == [0.25, 0.5, 1.0]
    assert sum(fidelities) < 40 * (0.25 + 0.5 + 1.0)  # pruning saved backtest time
    states = [t.state.name for t in sampler.optuna_study.trials]
    assert states.count("PRUNED") == len(pruned)
    assert res.best_value < 5.0


def test_a_nan_rung_value_never_prunes() -> None:
    def f(params: dict[str, Any], data: Any) -> dict[str, float]:
        return {"loss": math.nan if "_fidelity" in params else bowl(params, data)["loss"]}

    res = run(BayesianSearch(16, multi_fidelity=True), fn=f)
    assert [t.status for t in res.trials] == ["ok"] * 16
    assert all(t.fidelity == 1.0 for t in res.trials)


def test_failed_trials_are_kept_and_told_as_failed() -> None:
    def f(params: dict[str, Any], data: Any) -> dict[str, float]:
        if params["x"] > 0:
            raise RuntimeError(f"x={params['x']} breaks")
        return bowl(params, data)

    sampler = BayesianSearch(20)
    res = run(sampler, fn=f)
    failed = [t for t in res.trials if t.status == "failed"]
    assert failed and all("RuntimeError: x=" in (t.error or "") for t in failed)
    states = [t.state.name for t in sampler.optuna_study.trials]
    assert states.count("FAIL") == len(failed)
    assert len(res.trials) == 20


@pytest.mark.parametrize("kwargs", [
    {"rungs": (0.5, 0.9)}, {"rungs": (0.5, 0.25, 1.0)}, {"rungs": (0.0, 1.0)},
    {"pruner": "median"}, {"batch": 0}, {"n_trials": 0}, {"reduction_factor": 1},
    {"multi_fidelity": True, "rungs": (1.0,)},
])
def test_bad_arguments_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        BayesianSearch(**kwargs)


def dma_hooks(params: dict[str, Any]) -> dict[str, Any]:
    short, long_ = params["short"], params["long"]

    def initialize(context: Any) -> None:
        context.assets = [api.symbol(s) for s in ("S0", "S1", "S2")]

    def handle_data(context: Any, data: Any) -> None:
        hist = data.history(context.assets, "price", long_, "1d", return_type="array")
        fast, slow = hist[-short:].mean(axis=0), hist.mean(axis=0)
        for j, asset in enumerate(context.assets):
            api.order_target_percent(asset, 0.3 if fast[j] > slow[j] else 0.0)

    return {"initialize": initialize, "handle_data": handle_data}


def test_multi_fidelity_on_the_engine_runs_shorter_rungs(algo_bundle: Bundle) -> None:
    s = algo_bundle.sessions
    workload = AlgorithmWorkload(dma_hooks, "algo", s[20], s[-1],
                                 root=algo_bundle.path.parents[2])
    space = ParameterSpace({"short": IntRange(2, 6, 2), "long": IntRange(8, 16, 4)},
                           constraints=[lambda p: p["short"] < p["long"]])
    sampler = BayesianSearch(8, batch=4, multi_fidelity=True, rungs=(0.5, 1.0),
                             n_startup_trials=4)
    res = Study(workload, space, sampler, Objective("total_return"), seed=3,
                progress=False).optimize()
    assert len(res.trials) == 8
    assert {t.status for t in res.trials} <= {"ok", "pruned"}
    assert all([f for f, _ in t.intermediate] == [0.5] for t in res.trials)
    pruned = [t for t in res.trials if t.status == "pruned"]
    assert pruned and all(t.fidelity == 0.5 for t in pruned)
