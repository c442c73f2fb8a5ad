"""Lazy package namespaces (PEP 562): a name is imported from its submodule on first use.

A package whose submodules import heavy or optional libraries (scipy and matplotlib for
:mod:`rustybt.benchmarking`, zipline for :mod:`rustybt.compat.zipline`) keeps its flat
namespace without paying for them at ``import``: importing one light submodule imports the
package's ``__init__`` too, and that must stay cheap.

Usage, in the package's ``__init__``::

    if TYPE_CHECKING:  # the names for type checkers; at run time each is imported on use
        from mypkg.heavy import Thing
    __all__ = ["Thing"]  # a literal list: what type checkers read as the exports
    __getattr__, __dir__ = lazy_exports(__name__, {"heavy": ("Thing",)}, __all__)

Invariants: ``__all__`` holds exactly the mapped names (checked at import: a name added to
one and not the other fails the first import, not a user's first use); a name is imported
once and then stored in the package's namespace; an unknown name raises ``AttributeError``
naming the package, as a missing attribute does.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, names_by_module: Mapping[str, Iterable[str]], exported: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``.

    Args:
        package: The package's ``__name__``.
        names_by_module: Submodule (relative to ``package``) → the names it exports.
        exported: The package's ``__all__``.

    Raises:
        ValueError: A name is mapped to two submodules, or ``exported`` differs from the
            mapped names.
    """
    module_of: dict[str, str] = {}
    for module, names in names_by_module.items():
        for name in names:
            if module_of.setdefault(name, module) != module:
                raise ValueError(f"{package}: {name!r} is exported by both "
                                 f"{module_of[name]!r} and {module!r}")

    if set(exported) != set(module_of):
        raise ValueError(f"{package}: __all__ and the lazy names differ: "
                         f"{sorted(set(exported) ^ set(module_of))}")

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *module_of})

    return __getattr__, __dir__
