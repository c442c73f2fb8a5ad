"""zipline-reloaded 3.2.1's tests/test_bar_data.py, run against rustybt's DataPortal shim.

The vendored module (``zipline_test_bar_data.py``) is imported, not collected; the classes here
subclass its test cases with :class:`ShimDataPortal` first.
"""

from __future__ import annotations

import pytest

pytest.importorskip("zipline")

from tests.compat.zipline.upstream import zipline_test_bar_data as upstream
from tests.compat.zipline.upstream._shim import ShimDataPortal

#: One worker runs all of this module under ``--dist loadgroup``: zipline builds each test case's
#: data once per process, and the shim converts it once per process.
pytestmark = [
    pytest.mark.xdist_group("zipline-upstream-bar-data"),
    # zipline's fixture writers warn about the data zipline's tests give them on purpose
    pytest.mark.filterwarnings("ignore::RuntimeWarning:zipline.*"),
    pytest.mark.filterwarnings("ignore::UserWarning:zipline.*"),
]


class TestDailyBarData(ShimDataPortal, upstream.TestDailyBarData):
    """zipline's TestDailyBarData on the shim."""


class TestMinuteBarData(ShimDataPortal, upstream.TestMinuteBarData):
    """zipline's TestMinuteBarData on the shim."""
