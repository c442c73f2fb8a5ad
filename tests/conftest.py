"""Fixtures shared by every test directory, and ``import support`` from anywhere under tests/.

- ``root``: a fresh rustybt root (also set as ``RUSTYBT_ROOT``).
- ``small_bundle``: two assets over 30 sessions (a halt, a split, a merger, dividends, a few
  minute bars), written as bundle ``t`` under ``tmp_path`` by ``rustybt.testing``.
- ``algo_bundle``: three assets S0..S2 over 70 sessions, minute bars on the last three
  (``algo_bundles.py``), written once per test session for algorithm runs; do not modify it.

Test data comes from :mod:`rustybt.testing` (the one bundle factory); expected values from
``support.Oracle`` (the one oracle, tests/support.py).
"""

from __future__ import annotations

import signal
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rustybt import Bundle
from rustybt.calendars import get_calendar
from rustybt.testing import BundleSpec, bars_from_close, make_bundle, minute_ramp, session_span

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:  # support.py, also under --import-mode=importlib
    sys.path.insert(0, _TESTS)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh rustybt root (also set as RUSTYBT_ROOT)."""
    path = tmp_path / "root"
    monkeypatch.setenv("RUSTYBT_ROOT", str(path))
    return path


def small_spec() -> BundleSpec:
    """Two assets over 30 sessions from 2021-01-04 (see ``small_bundle``)."""
    s = session_span(30, "2021-01-04")
    cal = get_calendar("XNYS", start="2021-01-01", end="2021-12-31")
    rng = np.random.default_rng(7)
    a = bars_from_close(s, 100 + np.cumsum(rng.normal(0, 1, 30)), rng.integers(100, 1000, 30))
    b = bars_from_close(s, 50 + np.cumsum(rng.normal(0, 1, 30)), rng.integers(100, 1000, 30))
    b = b.drop(index=[10, 11]).reset_index(drop=True)  # halted two sessions
    return BundleSpec.from_bars(
        {1: a, 2: b},
        minute={1: minute_ramp(cal, s[28], 5, 100.0), 2: minute_ramp(cal, s[29], 3, 50.0)},
        end_date="2021-12-31",
        splits=pd.DataFrame({"sid": [1], "effective_date": [s[12]], "ratio": [0.5]}),
        mergers=pd.DataFrame({"sid": [2], "effective_date": [s[20]], "ratio": [0.9]}),
        dividends=pd.DataFrame({"sid": [1, 2], "ex_date": [s[15], s[5]], "amount": [1.0, 0.5]}),
    )


@pytest.fixture
def small_bundle(tmp_path: Path) -> Bundle:
    """Two assets over 30 sessions: a halt, a split, a merger, dividends, a few minute bars."""
    return make_bundle(tmp_path, small_spec(), name="t")


@pytest.fixture(scope="session")
def algo_bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """Bundle ``algo`` (tests/algo_bundles.py) under a root of its own, shared by the session."""
    from algo_bundles import algo_bundle as write

    return write(tmp_path_factory.mktemp("algo-root"))


@pytest.fixture(autouse=True)
def _sigint_handler_is_left_as_found(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test (or the code it runs) that leaves SIGINT ignored makes every later child process
    of this worker ignore Ctrl-C (the disposition is inherited through exec): restore it and
    say which test did it."""
    before = signal.getsignal(signal.SIGINT)
    yield
    after = signal.getsignal(signal.SIGINT)
    if after is not before:
        signal.signal(signal.SIGINT, before)
        warnings.warn(f"{request.node.nodeid} left the SIGINT handler {after!r} "
                      f"(was {before!r}); restored", stacklevel=1)
