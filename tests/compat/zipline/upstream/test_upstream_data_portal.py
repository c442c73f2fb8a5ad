"""zipline-reloaded 3.2.1's tests/test_data_portal.py, run against rustybt's DataPortal shim.

The vendored module (``zipline_test_data_portal.py``) is imported, not collected; the class here
subclasses its test case with :class:`ShimDataPortal` first.
"""

from __future__ import annotations

import pytest

pytest.importorskip("zipline")

from tests.compat.zipline.upstream import zipline_test_data_portal as upstream
from tests.compat.zipline.upstream._shim import FUTURES, ShimDataPortal, skip

#: One worker runs all of this module under ``--dist loadgroup``: zipline builds each test case's
#: data once per process, and the shim converts it once per process.
pytestmark = [
    pytest.mark.xdist_group("zipline-upstream-data-portal"),
    # zipline's fixture writers warn about the data zipline's tests give them on purpose
    pytest.mark.filterwarnings("ignore::RuntimeWarning:zipline.*"),
    pytest.mark.filterwarnings("ignore::UserWarning:zipline.*"),
]


class TestDataPortal(ShimDataPortal, upstream.TestDataPortal):
    """zipline's TestDataPortal on the shim (tests that query futures are skipped)."""

    test_get_last_traded_future_minute = skip(FUTURES)
    test_get_spot_value_future_minute = skip(FUTURES)
    # these query an equity and then a future (or a continuous future) in one test
    test_get_last_traded_dt_minute = skip(FUTURES)
    test_get_spot_value_multiple_assets = skip(FUTURES)
    test_price_rounding = skip(FUTURES)
