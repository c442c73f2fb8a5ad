"""Algorithm files: an ordinary Python file defining zipline's hooks, loaded as a module.

The file defines ``initialize(context)`` (required) and any of ``handle_data(context, data)``,
``before_trading_start(context, data)`` and ``analyze(context, perf)``, and may import from
:mod:`rustybt.api` (the functions act on the algorithm being run). It runs as a fresh module
named ``rustybt_algorithm_<stem>`` (not ``__main__``: a file that calls ``run_algorithm`` under
``if __name__ == "__main__"`` does not start a second run); its directory is not put on
``sys.path``.

Errors name the file and the line: a missing file, a syntax error, an exception raised while
the file's top level runs, no ``initialize``, or a hook that is not a function.
"""

from __future__ import annotations

import sys
import traceback
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rustybt.engine.algorithm import TradingAlgorithm
from rustybt.errors import AlgorithmFileError

__all__ = ["HOOKS", "AlgorithmFile", "load_algorithm_file", "user_frame"]

#: The hooks an algorithm file may define, in the order zipline calls them.
HOOKS = ("initialize", "before_trading_start", "handle_data", "analyze")


@dataclass(frozen=True)
class AlgorithmFile:
    """A loaded algorithm file: its module and hooks (``None`` when not defined)."""

    path: Path
    module: types.ModuleType
    initialize: Any
    handle_data: Any
    before_trading_start: Any
    analyze: Any

    def hooks(self) -> dict[str, Any]:
        """The four hooks as keyword arguments of :func:`rustybt.run_algorithm`."""
        return {name: getattr(self, name) for name in HOOKS}

    def algorithm(self, params: dict[str, Any] | None = None) -> TradingAlgorithm:
        """A fresh :class:`TradingAlgorithm` running these hooks with ``context.params``."""
        return TradingAlgorithm(
            self.initialize,
            self.handle_data,
            self.before_trading_start,
            self.analyze,
            params=params,
        )


def user_frame(exc: BaseException, path: Path) -> traceback.FrameSummary | None:
    """The innermost traceback frame of ``exc`` inside the file ``path`` (None if none)."""
    target = str(path.resolve())
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == target:
            found = frame
    return found


def load_algorithm_file(path: Path | str) -> AlgorithmFile:
    """Compile and execute the algorithm file ``path``; return its hooks.

    Raises:
        AlgorithmFileError: the file is missing or unreadable, does not compile (the message
            gives the line), raises while its top level runs (the line and the exception), or
            defines no callable ``initialize``.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        what = "is a directory, not a file" if file.is_dir() else "does not exist"
        raise AlgorithmFileError(f"algorithm file {file} {what}")
    try:
        source = file.read_bytes()
    except OSError as exc:
        raise AlgorithmFileError(
            f"cannot read algorithm file {file}: {exc.strerror or exc}"
        ) from None
    resolved = file.resolve()
    try:
        code = compile(source, str(resolved), "exec")
    except SyntaxError as exc:
        where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
        raise AlgorithmFileError(
            f"algorithm file {file}, {where}: SyntaxError: {exc.msg}"
        ) from None
    except ValueError as exc:  # null bytes
        raise AlgorithmFileError(f"algorithm file {file} does not compile: {exc}") from None
    name = "rustybt_algorithm_" + "".join(c if c.isalnum() else "_" for c in file.stem)
    module = types.ModuleType(name)
    module.__file__ = str(resolved)
    sys.modules[name] = module  # dataclasses, pickle and typing look their module up here
    try:
        exec(code, module.__dict__)
    except Exception as exc:
        sys.modules.pop(name, None)
        frame = user_frame(exc, file)
        where = f", line {frame.lineno}" if frame is not None else ""
        raise AlgorithmFileError(
            f"algorithm file {file}{where} failed while loading: {type(exc).__name__}: {exc}"
        ) from exc
    hooks: dict[str, Any] = {}
    for hook in HOOKS:
        value = module.__dict__.get(hook)
        if value is not None and not callable(value):
            raise AlgorithmFileError(
                f"algorithm file {file}: {hook} is a {type(value).__name__}, not a function"
            )
        hooks[hook] = value
    if hooks["initialize"] is None:
        raise AlgorithmFileError(
            f"algorithm file {file} defines no initialize(context): every algorithm needs one"
        )
    return AlgorithmFile(resolved, module, **hooks)
