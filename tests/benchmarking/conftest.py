"""Make ``tests/benchmarking/_callables.py`` importable in worker processes too; the report
tests' real evaluation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rustybt.benchmarking import PerformanceReport

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(scope="session")
def perf_report() -> PerformanceReport:
    """A real small evaluation (``_reports.real_report``), measured once per session."""
    from _reports import real_report

    return real_report()
