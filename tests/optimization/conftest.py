"""Fixtures of the optimization tests; this directory on ``sys.path`` (``_workloads.py`` and
``opt_workloads.py`` import in worker processes too, which get the parent's ``sys.path``).

- ``opt_bundle``: bundle ``opt`` (10 assets × 1,000 sessions of seeded random walks, its
  mapped store built) under a root of its own, shared by the test session; do not modify it.
- ``dma``: the dual moving average ``AlgorithmWorkload`` on it (assets 0..2, last 60
  sessions), a small grid over (short, long), and its serial results, computed once.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from opt_workloads import bundle_root, dma_hooks, write_bundle  # noqa: E402

from rustybt import ArrowDataPortal, Bundle  # noqa: E402
from rustybt.optimization import (  # noqa: E402
    AlgorithmWorkload,
    GridSearch,
    IntRange,
    Objective,
    ParameterSpace,
    Study,
    StudyResult,
)


@pytest.fixture(scope="session")
def opt_bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """Bundle ``opt``: 10 assets × 1,000 sessions; its root is ``bundle.path.parents[2]``."""
    bundle = write_bundle(tmp_path_factory.mktemp("opt-root"), "opt", 10, 1000)
    ArrowDataPortal(bundle)  # build the mapped store once, here, not in every worker
    return bundle


@dataclass
class DMA:
    workload: AlgorithmWorkload
    space: ParameterSpace
    serial: StudyResult

    def study(self, executor: object) -> StudyResult:
        """The same grid on ``executor``."""
        return Study(self.workload, self.space, GridSearch(), Objective("sharpe"),
                     executor=executor, progress=False).optimize()  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def dma(opt_bundle: Bundle) -> DMA:
    """The dual moving average grid (4 trials) with its serial results."""
    sessions = opt_bundle.sessions
    workload = AlgorithmWorkload(dma_hooks, "opt", sessions[-60], sessions[-1],
                                 root=bundle_root(opt_bundle))
    space = ParameterSpace({"short": IntRange(3, 6, 3), "long": IntRange(10, 20, 10)},
                           constraints=[lambda p: p["short"] < p["long"]])
    serial = Study(workload, space, GridSearch(), Objective("sharpe"), progress=False).optimize()
    return DMA(workload, space, serial)
