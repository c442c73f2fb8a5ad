"""A dependency-free progress bar for long ingests, written to stderr."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["Progress"]

_WIDTH = 30


class Progress:
    """Counts items and redraws a one-line bar at most every ``interval`` seconds.

    Args:
        total: Number of items expected.
        label: Text shown before the bar.
        enabled: When False nothing is printed (the counting still works).
        stream: Where to draw (default ``sys.stderr``).
        interval: Minimum seconds between redraws.
    """

    def __init__(
        self,
        total: int,
        label: str,
        *,
        enabled: bool = True,
        stream: TextIO | None = None,
        interval: float = 0.2,
    ) -> None:
        self.total = max(int(total), 0)
        self.label = label
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.count = 0
        self._start = time.monotonic()
        self._last_draw = -1.0e9
        self._drawn_count = -1

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` items."""
        self.count += n
        self._draw(force=self.count >= self.total)

    def render(self) -> str:
        """The bar's current text (without the carriage return)."""
        frac = 1.0 if self.total == 0 else min(self.count / self.total, 1.0)
        filled = round(frac * _WIDTH)
        elapsed = time.monotonic() - self._start
        bar = "#" * filled + "-" * (_WIDTH - filled)
        return f"{self.label} [{bar}] {self.count}/{self.total} {elapsed:6.1f}s"

    def _draw(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        self._drawn_count = self.count
        self.stream.write("\r" + self.render())
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self.enabled:
            if self._drawn_count != self.count:
                self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
            self.enabled = False
