"""The built-in workload of ``rustybt bench evaluate``: the dual-MA grid through the engine on
a synthetic bundle gives the same frame whatever the flags, without the columns that may
change; a failed trial is an error, never a result."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from rustybt.benchmarking import DmaGrid, first_difference, make_dma_grid
from rustybt.errors import BenchmarkRunFailed
from rustybt.optimization import OptimizationConfig


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> DmaGrid:
    return make_dma_grid(tmp_path_factory.mktemp("bench-root"), n_assets=3, n_sessions=6,
                         n_trials=2)


def test_every_flag_gives_the_all_off_frame(grid: DmaGrid) -> None:
    off = grid(OptimizationConfig.all_off())
    assert list(off["number"]) == [0, 1]
    assert list(zip(off["short"], off["long"], strict=True)) == [(5, 30), (5, 40)]
    assert {"sharpe", "total_return", "value", "status"} <= set(off.columns)
    assert not {"duration", "worker", "fidelity", "cache_hit_rate"} & set(off.columns)
    assert first_difference(off, grid(OptimizationConfig.all_on())) is None
    assert pickle.loads(pickle.dumps(grid)) == grid  # fresh-process measurements send it
    assert grid.describe().startswith("engine dual-MA grid, 2 trials")


def test_a_failed_trial_raises_naming_it(grid: DmaGrid) -> None:
    wrong = replace(grid, n_assets=4)  # sid 3 is not in the bundle
    with pytest.raises(BenchmarkRunFailed, match=r"trial 0 \(short=5, long=30\) of the dual-MA "
                       r"grid ended 'failed': SidsNotFound"):
        wrong(OptimizationConfig.all_off())


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_trials": 17}, "n_trials must be 1..16"),
    ({"backend": "ray"}, "backend must be 'serial' or 'processes'"),
    ({"n_assets": 0}, "need n_assets >= 1"),
])
def test_bad_sizes_are_refused_before_writing(tmp_path: Path, kwargs: dict[str, object],
                                              match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_dma_grid(tmp_path, **kwargs)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
