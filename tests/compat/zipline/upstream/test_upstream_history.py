"""zipline-reloaded 3.2.1's tests/test_history.py, run against rustybt's DataPortal shim.

The vendored module (``zipline_test_history.py``) is imported, not collected; the classes here
subclass its test cases with :class:`ShimDataPortal` first, so every test builds its portal
with rustybt's shim from zipline's own fixture readers.
"""

from __future__ import annotations

import pytest

pytest.importorskip("zipline")

from tests.compat.zipline.upstream import zipline_test_history as upstream
from tests.compat.zipline.upstream._shim import ShimDataPortal

#: Under ``--dist loadgroup`` one worker runs the daily test cases and one the minute ones: the
#: shim converts each data set once per process (a no-prefetch variant has its base's data).
DAILY = pytest.mark.xdist_group("zipline-upstream-history-daily")
MINUTE = pytest.mark.xdist_group("zipline-upstream-history-minute")
pytestmark = [
    # zipline's fixture writers warn about the data zipline's tests give them on purpose
    pytest.mark.filterwarnings("ignore::RuntimeWarning:zipline.*"),
    pytest.mark.filterwarnings("ignore::UserWarning:zipline.*"),
]


@DAILY
class TestDailyEquityHistory(ShimDataPortal, upstream.DailyEquityHistoryTestCase):
    """zipline's DailyEquityHistoryTestCase on the shim."""


@DAILY
class TestNoPrefetchDailyEquityHistory(
    ShimDataPortal, upstream.NoPrefetchDailyEquityHistoryTestCase
):
    """zipline's NoPrefetchDailyEquityHistoryTestCase on the shim."""


@MINUTE
class TestMinuteEquityHistory(ShimDataPortal, upstream.MinuteEquityHistoryTestCase):
    """zipline's MinuteEquityHistoryTestCase on the shim."""


@MINUTE
class TestNoPrefetchMinuteEquityHistory(
    ShimDataPortal, upstream.NoPrefetchMinuteEquityHistoryTestCase
):
    """zipline's NoPrefetchMinuteEquityHistoryTestCase on the shim."""
