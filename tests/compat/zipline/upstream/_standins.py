"""Stand-ins for two packages of zipline's ``test`` extra that ``zipline.testing`` imports.

``zipline.testing`` imports ``testfixtures.TempDirectory`` (its fixtures' temporary
directories) and ``responses`` (an HTTP mock only ``WithResponses`` uses, which the vendored
tests do not). rustybt's dev extra installs neither; :func:`install` registers these stand-ins
under those names when, and only when, the real package is not importable:

- ``TempDirectory``: the members zipline's fixtures call (``path``, ``getpath``, ``makedir``,
  ``cleanup``, context manager), on a real temporary directory;
- ``responses.RequestsMock``: raises, naming the missing package, if anything constructs it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
import types
from collections.abc import Sequence
from typing import Any


class TempDirectory:
    """A temporary directory (``testfixtures.TempDirectory``'s members zipline uses)."""

    def __init__(self, path: str | None = None, **_: Any) -> None:
        if path is None:
            self.path = tempfile.mkdtemp(prefix="zipline-fixture-")
        else:
            os.makedirs(path, exist_ok=True)
            self.path = path

    def getpath(self, name: str | Sequence[str]) -> str:
        """The path of ``name`` (a relative path, or its parts) under this directory."""
        parts = [name] if isinstance(name, str) else list(name)
        return os.path.join(self.path, *parts)

    def makedir(self, name: str | Sequence[str]) -> str:
        """Create ``name`` (and its parents) under this directory; its path."""
        path = self.getpath(name)
        os.makedirs(path, exist_ok=True)
        return path

    def cleanup(self) -> None:
        """Remove the directory."""
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> TempDirectory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


class RequestsMock:
    """``responses.RequestsMock``: not available (the ``responses`` package is not installed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ModuleNotFoundError(
            "responses is not installed: zipline's WithResponses fixture needs it"
        )


def install() -> None:
    """Register the stand-ins for the packages that are not importable."""
    if importlib.util.find_spec("testfixtures") is None:
        module = types.ModuleType("testfixtures", "stand-in: rustybt tests/.../_standins.py")
        module.TempDirectory = TempDirectory  # type: ignore[attr-defined]
        sys.modules["testfixtures"] = module
    if importlib.util.find_spec("responses") is None:
        module = types.ModuleType("responses", "stand-in: rustybt tests/.../_standins.py")
        module.RequestsMock = RequestsMock  # type: ignore[attr-defined]
        sys.modules["responses"] = module
