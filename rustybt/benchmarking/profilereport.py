"""The report of a profile: the top functions from ``pstats`` and how they are printed.

Design and invariants:
- Figures come straight from cProfile's statistics (exact, no apportioning): ``calls`` is
  pstats' ``nc`` (all calls), ``primitive_calls`` its ``cc`` (not counting the function's
  own recursion), ``own_time`` its ``tt``, ``cumulative_time`` its ``ct``. Shares are of
  :func:`total_time`: the cumulative time of the functions with no recorded caller (the
  profiled call), or pstats' ``total_tt`` (the sum of all own times) when that is larger;
  cProfile's own times can add up to a little less than the call (a few ms in a second), so
  the root's share would otherwise exceed 100%.
- Rankings are by time, descending, ties broken by the function key (deterministic).
- A :class:`ProfileReport` renders itself as markdown (``report.md``) and as plain text for a
  terminal; it holds the paths of everything written.
"""

from __future__ import annotations

import pstats
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rustybt.benchmarking.flamegraph import FuncKey, function_label
from rustybt.benchmarking.memprofile import MemoryProfile
from rustybt.errors import InvalidProfileRequest

__all__ = ["FunctionStats", "ProfileReport", "top_functions", "total_time"]

_RUSTYBT_PARENT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class FunctionStats:
    """One function's line of the table (figures as in ``pstats``)."""

    key: FuncKey  #: cProfile's ``(filename, line, name)``
    calls: int  #: all calls
    primitive_calls: int  #: calls not made by the function's own recursion
    own_time: float  #: seconds in the function itself
    cumulative_time: float  #: seconds in it and everything it called
    own_share: float  #: own_time / total
    cumulative_share: float  #: cumulative_time / total

    @property
    def label(self) -> str:
        """``name (file.py:line)``."""
        return function_label(self.key)

    @property
    def location(self) -> str:
        """The file (shortened to its package-relative path) and line."""
        filename, line, _ = self.key
        return "built-in" if filename == "~" else f"{_short_path(filename)}:{line}"

    @property
    def calls_text(self) -> str:
        """``calls``, or ``calls/primitive`` for recursive functions (pstats' notation)."""
        same = self.calls == self.primitive_calls
        return str(self.calls) if same else f"{self.calls}/{self.primitive_calls}"


def _short_path(filename: str) -> str:
    for marker in ("site-packages/", "dist-packages/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    if filename.startswith(_RUSTYBT_PARENT + "/"):
        return filename[len(_RUSTYBT_PARENT) + 1 :]
    return filename


def total_time(stats: pstats.Stats) -> float:
    """Seconds of the profiled call (module notes): the denominator of every share."""
    raw: dict[FuncKey, Any] = stats.stats  # type: ignore[attr-defined]
    roots = sum(float(v[3]) for v in raw.values() if not v[4])
    return max(roots, float(stats.total_tt))  # type: ignore[attr-defined]


def top_functions(stats: pstats.Stats, n: int, by: str = "cumulative") -> tuple[FunctionStats, ...]:
    """The ``n`` functions of ``stats`` with the most ``cumulative`` or ``own`` time.

    Ties are broken by the function's key, so the order is deterministic.
    """
    if by not in ("cumulative", "own"):
        raise InvalidProfileRequest(f"top_functions by={by!r}: expected 'cumulative' or 'own'")
    raw: dict[FuncKey, Any] = stats.stats  # type: ignore[attr-defined]
    total = total_time(stats)
    index = 3 if by == "cumulative" else 2
    ordered = sorted(raw.items(), key=lambda kv: (-kv[1][index], kv[0]))[:n]
    return tuple(
        FunctionStats(
            key=key,
            calls=int(nc),
            primitive_calls=int(cc),
            own_time=float(tt),
            cumulative_time=float(ct),
            own_share=float(tt) / total if total > 0 else 0.0,
            cumulative_share=float(ct) / total if total > 0 else 0.0,
        )
        for key, (cc, nc, tt, ct, _callers) in ordered
    )


@dataclass(frozen=True)
class ProfileReport:
    """What a profile found and where it wrote it (see the module notes)."""

    title: str
    out: Path  #: the output folder
    sampler: str  #: ``cprofile`` or ``py-spy``: who drew the flame graph
    total_time: float  #: seconds of the profiled call under cProfile
    by_cumulative: tuple[FunctionStats, ...]
    by_own: tuple[FunctionStats, ...]
    memory: MemoryProfile | None
    files: Mapping[str, Path]  #: ``pstats``, ``flamegraph``, ``report`` -> path
    result: Any = field(default=None, repr=False, compare=False)  #: the call's return value

    def to_markdown(self) -> str:
        """``report.md``: the two tables and the memory profile."""
        parts = [
            f"# Profile: {self.title}",
            "",
            f"Total {self.total_time:.3f} s under cProfile; flame graph by {self.sampler}. "
            f"Shares are of the total. Files: "
            + ", ".join(f"`{p.name}`" for p in self.files.values())
            + ".",
        ]
        for heading, rows in (("cumulative", self.by_cumulative), ("own", self.by_own)):
            parts += [
                "",
                f"## Top {len(rows)} functions by {heading} time",
                "",
                "| # | function | location | calls | own s | own % | cumulative s | cumulative % |",
                "|---:|---|---|---:|---:|---:|---:|---:|",
            ]
            for i, r in enumerate(rows, 1):
                name = r.key[2].replace("|", "\\|")
                parts.append(
                    f"| {i} | `{name}` | `{r.location}` | {r.calls_text} | {r.own_time:.6f} "
                    f"| {100 * r.own_share:.2f} | {r.cumulative_time:.6f} "
                    f"| {100 * r.cumulative_share:.2f} |"
                )
        if self.memory is not None:
            parts += ["", "## Memory (tracemalloc)", "", self.memory.to_markdown().rstrip()]
        return "\n".join(parts) + "\n"

    def to_console(self) -> str:
        """The two tables (and the memory peak and sites) as plain text for a terminal."""
        lines = [f"{self.title}: {self.total_time:.3f} s under cProfile"]
        head = f"{'#':>3} {'calls':>11} {'own s':>9} {'own%':>6} {'cum s':>9} {'cum%':>6}  function"
        for heading, rows in (("cumulative", self.by_cumulative), ("own", self.by_own)):
            lines += ["", f"top {len(rows)} by {heading} time", head]
            for i, r in enumerate(rows, 1):
                lines.append(
                    f"{i:>3} {r.calls_text:>11} {r.own_time:>9.4f} {100 * r.own_share:>6.2f} "
                    f"{r.cumulative_time:>9.4f} {100 * r.cumulative_share:>6.2f}  "
                    f"{r.key[2]} ({r.location})"
                )
        if self.memory is not None:
            m = self.memory
            lines += [
                "",
                f"memory: peak {m.peak / 2**20:,.2f} MiB traced; top sites of a "
                f"snapshot holding {m.snapshot_size / 2**20:,.2f} MiB",
            ]
            for i, s in enumerate(m.sites, 1):
                lines.append(
                    f"{i:>3} {s.size / 2**20:>9.2f} MiB {s.count:>8} blocks  "
                    f"{_short_path(s.filename)}:{s.line}"
                )
        return "\n".join(lines) + "\n"
