"""``parameterized.expand`` for the vendored zipline test modules (the dev extra lacks the package).

zipline's tests decorate ``unittest.TestCase`` methods with ``@parameterized.expand(cases)``:
each case (a tuple of arguments, or one argument) becomes its own test method named
``<method>_<index>_<first argument>``, the way the ``parameterized`` package names them, and
the decorated method itself is removed from the class. This module does only that.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any


def _slug(value: Any) -> str:
    return re.sub(r"\W+", "_", str(value)).strip("_")


class parameterized:
    """Namespace for :meth:`expand` (as in the ``parameterized`` package)."""

    @staticmethod
    def expand(cases: Iterable[Any]) -> Callable[[Callable[..., Any]], None]:
        """One test method per case, added to the class being defined."""
        cases = list(cases)
        namespace = inspect.currentframe().f_back.f_locals  # type: ignore[union-attr]

        def decorate(method: Callable[..., Any]) -> None:
            for i, case in enumerate(cases):
                args = case if isinstance(case, tuple) else (case,)

                @functools.wraps(method)
                def test(self: Any, _args: tuple[Any, ...] = args) -> Any:
                    return method(self, *_args)

                name = f"{method.__name__}_{i}_{_slug(args[0])}"
                test.__name__ = test.__qualname__ = name
                namespace[name] = test
            return None

        return decorate
