"""The core data layer must import without zipline (a dev-only reference)."""

from __future__ import annotations

import subprocess
import sys


def test_core_packages_do_not_import_zipline() -> None:
    code = (
        "import sys; import rustybt.data.bundles, rustybt.data.arrow_portal, rustybt.cli; "
        "print('zipline' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_readers_are_available_lazily() -> None:
    import rustybt.data.arrow_portal as ap

    assert ap.ArrowDailyBarReader.__name__ == "ArrowDailyBarReader"
    assert "ArrowMinuteBarReader" in ap.__all__
    try:
        ap.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("unknown attribute did not raise")
