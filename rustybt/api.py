"""zipline's ``zipline.api`` for rustybt algorithms: ``from rustybt.api import order, record``.

Everything here is :mod:`rustybt.engine.api`; this module is the short public name.
"""

from rustybt.engine.api import *  # noqa: F403
from rustybt.engine.api import __all__  # noqa: F401
