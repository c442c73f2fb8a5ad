"""``StudyResult``: every trial of a study as a tidy table, and the best one.

One row per trial: ``number``, one column per parameter, one per metric, ``value`` (the
objective), ``status`` (ok/failed/pruned), ``error``, ``duration``, ``worker``, ``fidelity``,
``cache_hit_rate`` (the study's own: :attr:`StudyResult.cache_hit_rate`). As pandas
(:meth:`StudyResult.to_pandas`), Polars (:meth:`StudyResult.to_polars`) or Parquet
(:meth:`StudyResult.to_parquet`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rustybt.optimization.objective import Objective
from rustybt.optimization.trial import TrialResult

__all__ = ["StudyResult"]

FIXED = ("number", "value", "status", "error", "duration", "worker", "fidelity",
         "cache_hit_rate")


@dataclass
class StudyResult:
    """The trials of a finished (or interrupted) study."""

    trials: list[TrialResult]
    objective: Objective
    param_names: list[str]
    interrupted: bool = False
    wall: float = 0.0
    sampler: str = ""
    executor: str = ""

    @property
    def completed(self) -> list[TrialResult]:
        """Trials that finished with a finite objective value."""
        return [t for t in self.trials if t.ok]

    @property
    def best_trial(self) -> TrialResult:
        """The best finished trial (ties: the lowest trial number).

        Raises:
            ValueError: no trial finished.
        """
        done = self.completed
        if not done:
            failed = [t for t in self.trials if t.status == "failed"]
            hint = f"; first error: {failed[0].error}" if failed else ""
            raise ValueError(f"no trial finished ({len(self.trials)} run){hint}")
        return min(done, key=lambda t: (self.objective.sort_key(t.value), t.number))

    @property
    def best_params(self) -> dict[str, Any]:
        """Parameters of :attr:`best_trial`."""
        return dict(self.best_trial.params)

    @property
    def best_value(self) -> float:
        """Objective value of :attr:`best_trial`."""
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def cache_hit_rate(self) -> float | None:
        """The study's history-cache hit rate: the mean of its trials' ``cache_hit_rate``
        over the trials that have one (None when none has: no cache, or no lookup).

        Every full-period trial of a study asks the same number of windows (one per
        ``data.history`` call per bar), so the mean is the hit rate over all its lookups;
        each worker process has its own cache, so more workers hit less.
        """
        rates = [t.cache_hit_rate for t in self.trials if t.cache_hit_rate is not None]
        return sum(rates) / len(rates) if rates else None

    def to_pandas(self) -> pd.DataFrame:
        """One row per trial: number, parameters, metrics, value, status, error, ..."""
        metric_names: list[str] = []
        for t in self.trials:
            for name in t.metrics:
                if name not in metric_names:
                    metric_names.append(name)
        clash = set(self.param_names) & (set(metric_names) | set(FIXED))
        if clash:
            raise ValueError(f"parameter name(s) {sorted(clash)} clash with result columns")
        rows = []
        for t in self.trials:
            row: dict[str, Any] = {"number": t.number}
            row.update({p: t.params.get(p) for p in self.param_names})
            row.update({m: t.metrics.get(m, float("nan")) for m in metric_names})
            row.update(value=t.value, status=t.status, error=t.error, duration=t.duration,
                       worker=t.worker, fidelity=t.fidelity, cache_hit_rate=t.cache_hit_rate)
            rows.append(row)
        columns = ["number", *self.param_names, *metric_names, *FIXED[1:]]
        frame = pd.DataFrame(rows, columns=columns)
        for col in ("value", "duration", "fidelity", "cache_hit_rate", *metric_names):
            frame[col] = frame[col].astype(float)
        return frame

    def to_polars(self) -> Any:
        """The table as a ``polars.DataFrame``."""
        import polars as pl

        return pl.from_pandas(self.to_pandas())

    def to_parquet(self, path: str | Path) -> Path:
        """Write the table as Parquet (atomically); returns the path."""
        from rustybt._fs import atomic_path

        target = Path(path)
        with atomic_path(target) as tmp:
            self.to_pandas().to_parquet(tmp, index=False)
        return target

    def plot(self, path: str | Path, x: str | None = None, y: str | None = None,
             **kwargs: Any) -> Path:
        """PNG of the study (:mod:`rustybt.optimization.plots`): a heatmap of the objective
        over ``x`` and ``y`` when given, or over the study's two parameters when each has at
        most 50 distinct finished values (a 2-D grid); else each trial's value and the best
        so far."""
        from rustybt.optimization.plots import plot_heatmap, plot_history

        if x is not None or y is not None:
            return plot_heatmap(self, path, x, y, **kwargs)
        if len(self.param_names) == 2:
            frame = self.to_pandas()
            frame = frame[frame["status"] == "ok"]
            if all(frame[n].nunique() <= 50 for n in self.param_names):
                return plot_heatmap(self, path, **kwargs)
        return plot_history(self, path, **kwargs)

    def __repr__(self) -> str:
        state = " (interrupted)" if self.interrupted else ""
        return (f"StudyResult({len(self.trials)} trials, {len(self.completed)} ok, "
                f"{self.sampler} on {self.executor}{state})")
