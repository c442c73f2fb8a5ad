"""OptimizationConfig: validation, environment overrides, and flags that never change results.

The flag property: for every combination of flags (Hypothesis, few examples), a small grid of
dual-MA trials on a tiny bundle gives exactly the metrics of ``all_off()``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opt_support import dma_hooks, start_end, write_bundle

from rustybt.optimization import (
    AlgorithmWorkload,
    BundleConnectionPool,
    FunctionWorkload,
    GridSearch,
    IntRange,
    Objective,
    OptimizationConfig,
    ParameterSpace,
    Study,
)
from rustybt.optimization.config import FLAGS

SPACE = ParameterSpace({"short": IntRange(5, 10, 5), "long": IntRange(20, 20)})


def _study(root: Path, config: OptimizationConfig) -> Any:
    start, end = start_end()
    workload = AlgorithmWorkload(dma_hooks, "opt", start, end, root=root, config=config)
    return Study(workload, SPACE, GridSearch(), Objective("sharpe"), progress=False).optimize()


@pytest.fixture(scope="module")
def opt_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("opt-root")
    write_bundle(root)
    return root


@pytest.fixture(scope="module")
def baseline(opt_root: Path) -> list[dict[str, float]]:
    result = _study(opt_root, OptimizationConfig.all_off())
    assert [t.status for t in result.trials] == ["ok", "ok"]
    return [t.metrics for t in result.trials]


def _same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


# -- validation and environment --------------------------------------------------------------
def test_presets() -> None:
    assert set(OptimizationConfig.all_on().flags().values()) == {True}
    off = OptimizationConfig.all_off(lru_size=7)
    assert set(off.flags().values()) == {False} and off.lru_size == 7
    assert list(off.flags()) == list(FLAGS)
    assert OptimizationConfig(cache_size_gb=0.5).cache_size_bytes == 2**29
    assert OptimizationConfig(lru_mb=3).lru_bytes == 3 * 2**20


def test_history_cache_is_bounded_by_bytes_first() -> None:
    cfg = OptimizationConfig(history_cache=True)
    assert (cfg.lru_mb, cfg.lru_size) == (512, 1_000_000)
    cache = cfg.make_history_cache()
    assert cache is not None and cache.max_bytes == 512 * 2**20
    assert cache.maxsize == 1_000_000
    small = OptimizationConfig(history_cache=True, lru_mb=0, lru_size=5).make_history_cache()
    assert small is not None and (small.max_bytes, small.maxsize) == (0, 5)
    assert OptimizationConfig(history_cache=False).make_history_cache() is None


@pytest.mark.parametrize("kwargs, match", [
    ({"history_cache": 1}, "history_cache must be a bool"),
    ({"cache_size_gb": 0}, "cache_size_gb"),
    ({"cache_size_gb": math.inf}, "cache_size_gb"),
    ({"lru_size": -1}, "lru_size"),
    ({"lru_mb": -1}, "lru_mb must be an int >= 0"),
    ({"lru_mb": 1.5}, "lru_mb must be an int >= 0"),
    ({"lru_mb": True}, "lru_mb must be an int >= 0"),
    ({"permanent_windows": [20]}, "permanent_windows"),
    ({"permanent_windows": (20, 0)}, "permanent_windows"),
])
def test_constructor_rejects(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        OptimizationConfig(**kwargs)


def test_from_env_reads_every_variable() -> None:
    env = {f"RUSTYBT_OPT_{f.upper()}": "0" for f in FLAGS}
    env.update(RUSTYBT_CACHE_SIZE_GB="0.25", RUSTYBT_LRU_SIZE="9", RUSTYBT_LRU_MB=" 64 ",
               RUSTYBT_PERMANENT_WINDOWS="10, 30")
    cfg = OptimizationConfig.from_env(env)
    assert cfg == OptimizationConfig.all_off(cache_size_gb=0.25, lru_size=9, lru_mb=64,
                                             permanent_windows=(10, 30))
    on = OptimizationConfig.from_env({"RUSTYBT_OPT_HISTORY_CACHE": "on"}, base=cfg)
    assert on.history_cache and not on.bundle_pooling
    assert OptimizationConfig.from_env({}) == OptimizationConfig()


def test_from_env_uses_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUSTYBT_OPT_BUNDLE_POOLING", "false")
    assert not OptimizationConfig.from_env().bundle_pooling


@pytest.mark.parametrize("var, value", [
    ("RUSTYBT_OPT_PRE_GROUPING", "maybe"),
    ("RUSTYBT_CACHE_SIZE_GB", "-1"),
    ("RUSTYBT_CACHE_SIZE_GB", "lots"),
    ("RUSTYBT_CACHE_SIZE_GB", "nan"),
    ("RUSTYBT_LRU_SIZE", "1.5"),
    ("RUSTYBT_LRU_MB", "1.5"),
    ("RUSTYBT_LRU_MB", "-1"),
    ("RUSTYBT_LRU_MB", "lots"),
    ("RUSTYBT_LRU_MB", "\u00b2"),
    ("RUSTYBT_PERMANENT_WINDOWS", "20,,50"),
])
def test_from_env_bad_value_names_the_variable(var: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"{var}={value!r}"):
        OptimizationConfig.from_env({var: value})


def test_workload_resolves_config_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUSTYBT_OPT_ARRAY_RETURNS", "0")
    workload = FunctionWorkload(lambda p, d: {"n": float(len(p))})
    assert workload.config == OptimizationConfig(array_returns=False)
    with pytest.raises(TypeError, match="OptimizationConfig"):
        FunctionWorkload(lambda p, d: {}, config={"history_cache": False})  # type: ignore[arg-type]


@pytest.mark.parametrize("on", [True, False])
def test_array_returns_reaches_the_function(on: bool) -> None:
    seen: list[dict[str, Any]] = []

    def fn(params: dict[str, Any], data: Any) -> dict[str, float]:
        seen.append(dict(params))
        return {"x": 1.0}

    cfg = OptimizationConfig(array_returns=on)
    FunctionWorkload(fn, config=cfg).run({"a": 1})
    assert seen == [{"a": 1, "_array_returns": True} if on else {"a": 1}]


# -- the flags act where they should ---------------------------------------------------------
def test_history_cache_shared_by_trials_and_hit_rate_recorded(opt_root: Path) -> None:
    on = _study(opt_root, OptimizationConfig(history_cache=True, array_returns=False))
    rates = [t.cache_hit_rate for t in on.trials]
    # trial 0 fills the cache; trial 1 asks the same windows (same long) and hits them all
    assert rates[0] == 0.0 and rates[1] == 1.0
    assert on.to_pandas()["cache_hit_rate"].tolist() == rates
    assert on.cache_hit_rate == 0.5  # the study's: what benchmarks/optimization.py prints
    off = _study(opt_root, OptimizationConfig(history_cache=False, array_returns=False))
    assert [t.cache_hit_rate for t in off.trials] == [None, None]
    assert off.cache_hit_rate is None


def test_bundle_pooling_off_opens_a_fresh_portal_per_trial(opt_root: Path) -> None:
    start, end = start_end()
    pool = BundleConnectionPool.instance()
    for pooling in (False, True):
        cfg = OptimizationConfig.all_off(bundle_pooling=pooling)
        workload = AlgorithmWorkload(dma_hooks, "opt", start, end, root=opt_root, config=cfg)
        opened = pool.opened
        workload.setup()
        portals = []
        for short in (5, 10):
            workload.run({"short": short, "long": 20})
            portals.append(workload._portal)
        assert (portals[0] is portals[1]) == pooling
        assert pool.opened - opened <= 1 if pooling else pool.opened == opened


def test_lean_results_drop_only_the_per_session_lists(opt_root: Path) -> None:
    start, end = start_end()
    frames = {}
    for lean in (False, True):
        workload = AlgorithmWorkload(dma_hooks, "opt", start, end, root=opt_root,
                                     config=OptimizationConfig(lean_results=lean))
        workload.setup()
        _metrics, frames[lean] = workload.run_detailed({"short": 5, "long": 20})
    nested = ["positions", "orders", "transactions"]
    assert set(nested) <= set(frames[False].columns)
    assert not set(nested) & set(frames[True].columns)
    pd.testing.assert_frame_equal(frames[True], frames[False].drop(columns=nested))


def test_pooled_portal_stays_uncached_for_other_workloads(opt_root: Path) -> None:
    start, end = start_end()
    cached = AlgorithmWorkload(dma_hooks, "opt", start, end, root=opt_root,
                               config=OptimizationConfig(history_cache=True))
    cached.setup()
    pooled = BundleConnectionPool.instance().portal("opt", opt_root)
    assert cached._portal.cache is not None and pooled.cache is None
    assert cached._portal.version == pooled.version


# -- the property: flags never change a result -----------------------------------------------
@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flags=st.fixed_dictionaries({f: st.booleans() for f in FLAGS}))
def test_every_flag_combination_gives_the_baseline_trials(
        opt_root: Path, baseline: list[dict[str, float]], flags: dict[str, bool]) -> None:
    result = _study(opt_root, OptimizationConfig(**flags))
    assert [t.status for t in result.trials] == ["ok", "ok"]
    for got, want in zip(result.trials, baseline, strict=True):
        assert _same(got.metrics, want), (flags, got.metrics, want)


def test_all_on_gives_the_baseline_trials(
        opt_root: Path, baseline: list[dict[str, float]]) -> None:
    result = _study(opt_root, OptimizationConfig.all_on())
    assert all(_same(t.metrics, w) for t, w in zip(result.trials, baseline, strict=True))


def test_history_cache_is_off_by_default_as_its_decision_record_says() -> None:
    """The issue left the HistoryCache default to the benchmark framework: the committed
    sequential evaluation (``make bench``) rejected it, so it is off. A regenerated record
    that accepts it makes this fail, and the default should then be revisited."""
    records = Path(__file__).parents[2] / "docs/internal/benchmarks/decisions/sequence.json"
    steps = {s["flag"]: s["status"] for s in json.loads(records.read_text())["steps"]}
    assert steps["history_cache"] == "rejected"
    assert OptimizationConfig().history_cache is False
    assert OptimizationConfig.all_on().history_cache is True
