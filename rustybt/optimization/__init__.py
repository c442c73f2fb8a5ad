"""Optimization workflows: many backtests of one strategy over the same data.

A :class:`Study` asks a sampler (``samplers/``: grid, random, Bayesian...) for parameters from
a :class:`ParameterSpace`, runs each trial's :class:`Workload` on an executor (``executors/``:
serial, processes, Ray; workers map the same bundle files through :class:`BundleConnectionPool`,
never receiving bar data), scores it with an :class:`Objective`, and returns a
:class:`StudyResult` (one row per trial). Searches and backends are also known by
name (:mod:`~rustybt.optimization.registry`: ``'grid'``, ``'serial'``...), as the CLI's
``rustybt optimize --search/--backend`` uses them.
"""

from rustybt.optimization.cache_invalidation import (
    BundleVersionMetadata,
    VersionWatch,
    invalidate_stale,
)
from rustybt.optimization.caching import CachedAssetList, PreGroupedData, get_cached_assets
from rustybt.optimization.config import OptimizationConfig
from rustybt.optimization.executors import (
    Executor,
    ProcessExecutor,
    RayExecutor,
    SerialExecutor,
    WorkerInfo,
)
from rustybt.optimization.objective import METRICS, Objective
from rustybt.optimization.parallel import ParallelOptimizer
from rustybt.optimization.pool import BundleConnectionPool
from rustybt.optimization.registry import BACKENDS, SEARCHES, new_executor, new_sampler
from rustybt.optimization.results import StudyResult
from rustybt.optimization.samplers import BayesianSearch, GridSearch, RandomSearch, Sampler
from rustybt.optimization.space import Choice, FloatRange, IntRange, ParameterSpace
from rustybt.optimization.study import Study
from rustybt.optimization.trial import TrialResult, TrialSpec
from rustybt.optimization.walkforward import WalkForward, WalkForwardResult, Window, WindowResult
from rustybt.optimization.workload import AlgorithmWorkload, FunctionWorkload, Workload

__all__ = [
    "BACKENDS",
    "METRICS",
    "SEARCHES",
    "AlgorithmWorkload",
    "BayesianSearch",
    "BundleConnectionPool",
    "BundleVersionMetadata",
    "CachedAssetList",
    "Choice",
    "Executor",
    "FloatRange",
    "FunctionWorkload",
    "GridSearch",
    "IntRange",
    "Objective",
    "OptimizationConfig",
    "ParallelOptimizer",
    "ParameterSpace",
    "PreGroupedData",
    "ProcessExecutor",
    "RandomSearch",
    "RayExecutor",
    "Sampler",
    "SerialExecutor",
    "Study",
    "StudyResult",
    "TrialResult",
    "TrialSpec",
    "VersionWatch",
    "WalkForward",
    "WalkForwardResult",
    "Window",
    "WindowResult",
    "WorkerInfo",
    "Workload",
    "get_cached_assets",
    "invalidate_stale",
    "new_executor",
    "new_sampler",
]
