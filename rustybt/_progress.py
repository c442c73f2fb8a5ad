"""Progress bars: tqdm with the house's defaults, aware of whether stderr is a terminal.

``enabled`` has three values, like tqdm's ``disable``:

- ``False``: nothing is written (the count still works).
- ``True`` (the user asked, e.g. ``rustybt ingest``): on a terminal a tqdm bar; anywhere else
  (a log file, a pipe, CI) never a ``\\r`` frame, but one plain line when the work ends:
  ``csvdir prices: 500/500 assets in 3.2s``.
- ``None`` (background work the user did not ask to watch: store builds, the shim's conversion
  of foreign readers): a tqdm bar on a terminal, nothing anywhere else.

On a terminal the bar appears only once the work has run for ``delay`` seconds (short work
draws nothing) and is redrawn at most every 0.2 s. tqdm is imported only when a bar is drawn.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator, Sized
from types import TracebackType
from typing import Any, TextIO, TypeVar

__all__ = ["Progress", "track"]

T = TypeVar("T")

_DELAY_S = 0.5
_REDRAW_S = 0.2


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False


class Progress:
    """Count work items, drawing a bar on a terminal and at most one plain line elsewhere.

    Use as a context manager (the bar or the line is finished on exit)::

        with Progress(len(files), "csvdir prices", enabled=writer.show_progress) as bar:
            for f in files:
                ...
                bar.update()

    Args:
        total: Items expected.
        desc: What is being done (shown before the bar, and in the plain line).
        enabled: True, False, or None: see the module docstring.
        unit: Name of one item (plural ``s`` is added in the plain line).
        file: Where to write (default ``sys.stderr`` at construction).
        delay: Seconds before a terminal bar first appears.
    """

    def __init__(
        self,
        total: int,
        desc: str,
        *,
        enabled: bool | None = None,
        unit: str = "item",
        file: TextIO | None = None,
        delay: float = _DELAY_S,
    ) -> None:
        self.total = max(int(total), 0)
        self.desc = desc
        self.unit = unit
        self.count = 0
        self.file = file if file is not None else sys.stderr
        self._start = time.monotonic()
        self._bar: Any = None
        self._line = False
        self._postfix = ""
        if enabled is False:
            return
        if _is_terminal(self.file):
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, desc=desc, unit=unit, file=self.file,
                             delay=delay, mininterval=_REDRAW_S, dynamic_ncols=True)
        else:
            self._line = enabled is True

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(failed=exc_type is not None)

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` items."""
        self.count += n
        if self._bar is not None:
            self._bar.update(n)

    def postfix(self, text: str) -> None:
        """Show ``text`` after the bar (e.g. the best value so far); also ends the plain line."""
        self._postfix = text
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)

    def summary(self) -> str:
        """The plain line: ``desc: count/total units in seconds``."""
        elapsed = time.monotonic() - self._start
        unit = self.unit if self.total == 1 else f"{self.unit}s"
        extra = f" ({self._postfix})" if self._postfix else ""
        return f"{self.desc}: {self.count}/{self.total} {unit} in {elapsed:.1f}s{extra}"

    def close(self, *, failed: bool = False) -> None:
        """Finish the bar, or write the plain line (once)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._line:
            self._line = False
            self.file.write(self.summary() + (" (stopped)" if failed else "") + "\n")
            self.file.flush()


def track(
    items: Iterable[T],
    desc: str,
    *,
    total: int | None = None,
    enabled: bool | None = None,
    unit: str = "item",
) -> Iterator[T]:
    """Iterate ``items`` under a :class:`Progress` (``total`` defaults to ``len(items)``)."""
    if total is None:
        total = len(items) if isinstance(items, Sized) else 0
    with Progress(total, desc, enabled=enabled, unit=unit) as bar:
        for item in items:
            yield item
            bar.update()
