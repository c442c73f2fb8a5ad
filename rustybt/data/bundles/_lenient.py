"""What a lenient :class:`BundleWriter` (``strict=False``) accepts, counted for one warning.

A lenient writer takes data that another system already holds and serves, and keeps it as that
system serves it: the zipline shim's conversion of zipline's readers is its one user. Where a
strict writer (every ingest: ``rustybt.ingest``, csvdir, the sources) raises, a lenient one
keeps the data and counts it here, by kind, with the first instance:

- bars outside the asset's listing (start/end dates of the asset table): kept, and the listing
  is applied when the data is read (zipline's rule);
- bars whose high/low do not bracket open/close: kept as they are;
- data covering a single session.

At commit the writer emits ONE :class:`~rustybt.errors.IngestWarning` listing these kinds and
its other repairs (rows without a trade dropped, halts), and records it in the manifest.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["Unusual"]

_SHOWN_REPAIRS = 5


class Unusual:
    """Counts of each kind of unusual data a lenient writer kept, with the first instance."""

    def __init__(self) -> None:
        self._kinds: dict[str, list[int | str]] = {}

    @classmethod
    def for_range(cls, start: pd.Timestamp | None, end: pd.Timestamp | None) -> Unusual:
        """A new count for a writer of ``start..end`` (a single session is noted already)."""
        out = cls()
        if start is not None and start == end:
            out.note("data covering a single session", 1, str(start.date()))
        return out

    def note(self, kind: str, count: int, first: str) -> None:
        """Count ``count`` instances of ``kind``; ``first`` describes the first one seen."""
        if count <= 0:
            return
        entry = self._kinds.setdefault(kind, [0, first])
        entry[0] = int(entry[0]) + count

    def __bool__(self) -> bool:
        return bool(self._kinds)

    def kinds(self) -> dict[str, tuple[int, str]]:
        """``kind -> (count, first instance)`` in the order first seen."""
        return {k: (int(v[0]), str(v[1])) for k, v in self._kinds.items()}

    def warning(self, name: str, repairs: list[str]) -> str | None:
        """The one warning of bundle ``name``: what was kept as the source serves it, then
        the writer's ``repairs``; None when there is neither."""
        if not self._kinds and not repairs:
            return None
        parts = [
            f"{kind}: {first}" if count == 1 else f"{kind}: {count}, first {first}"
            for kind, (count, first) in self.kinds().items()
        ]
        text = f"bundle {name!r}: data accepted as its source serves it"
        if parts:
            text += ": " + "; ".join(parts)
        if repairs:
            shown = "; ".join(repairs[:_SHOWN_REPAIRS])
            more = len(repairs) - _SHOWN_REPAIRS
            if more > 0:
                shown += f"; … {more} more repair(s) (listed in the manifest)"
            text += ("; also " if parts else ": ") + shown
        return text
