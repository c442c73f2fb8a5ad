"""Load a script of ``benchmarks/`` as a module for the tests (it is not a package)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load_script(name: str, module_name: str) -> Iterator[ModuleType]:
    """Yield ``benchmarks/<name>`` imported as ``module_name`` (a module-scoped fixture's body);
    it is removed from ``sys.modules`` afterwards."""
    spec = importlib.util.spec_from_file_location(module_name, BENCHMARKS / name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]
