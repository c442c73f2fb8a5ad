"""zipline's own portal tests on rustybt's shim (tests/compat/zipline/upstream/).

The vendored modules need ``zipline.testing``, which imports packages of zipline's ``test``
extra that rustybt's dev extra lacks; :mod:`_standins` fills in for them before collection.
"""

from __future__ import annotations

from tests.compat.zipline.upstream import _standins

_standins.install()
