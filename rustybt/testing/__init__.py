"""Test bundles for rustybt's tests and for users' own: one spec type, one writer, generators.

A :class:`BundleSpec` holds everything a bundle holds as plain pandas (the truth a test
compares against); :func:`make_bundle` writes one through ``BundleWriter`` into a directory
(validation, adjustment ratios, manifest and atomic publish included) and returns the loaded
:class:`~rustybt.data.bundles.Bundle`. Specs come from:

- :meth:`BundleSpec.from_bars` or the constructor: frames you choose;
- :func:`random_spec`: seeded random daily or minute bundles (listings, delistings, halts,
  zero-volume bars, splits, mergers, dividends);
- :func:`zipline_cases_spec`: every case zipline compatibility must get right (also stock
  dividends; optionally csvdir-compatible);
- :func:`known_values_spec` (with :class:`KNOWN`): a hand-made bundle whose every value is
  known: splits and dividends at window edges, halts, a late listing, a delisting, a
  never-traded asset, an early close, a holiday, a symbol change;
- ``bundle_specs()``: a Hypothesis strategy (imported lazily; Hypothesis is a dev dependency).

Everything is deterministic: the same spec writes the same bundle version.

Example:
    >>> import tempfile
    >>> from rustybt import ArrowDataPortal
    >>> from rustybt.testing import make_bundle, random_spec
    >>> spec = random_spec(seed=7, n_assets=3, n_sessions=20)
    >>> bundle = make_bundle(tempfile.mkdtemp(), spec)
    >>> portal = ArrowDataPortal(bundle)
    >>> portal.history(0, "close", 5, end_dt=spec.sessions[-1]).shape
    (5,)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rustybt.data.bundles import Bundle
from rustybt.testing.bars import bars_from_close, minute_ramp, random_ohlcv, walk_ohlcv
from rustybt.testing.cases import (
    FIRST_SESSION,
    KNOWN,
    known_values_spec,
    random_spec,
    zipline_cases_spec,
)
from rustybt.testing.spec import BundleSpec, session_span

__all__ = [
    "FIRST_SESSION",
    "KNOWN",
    "BundleSpec",
    "bars_from_close",
    "bundle_specs",
    "known_values_spec",
    "make_bundle",
    "minute_ramp",
    "random_ohlcv",
    "random_spec",
    "session_span",
    "walk_ohlcv",
    "zipline_cases_spec",
]


def make_bundle(
    root: Path | str,
    spec: BundleSpec | None = None,
    *,
    name: str = "test",
    warn: bool = False,
    **random: Any,
) -> Bundle:
    """Write ``spec`` (default: ``random_spec(**random)``) under ``root`` and return the bundle.

    Args:
        root: A rustybt root directory; the version lands in ``<root>/bundles/<name>/``.
        spec: What to write.
        name: The bundle name.
        warn: Let the writer's ``IngestWarning``s (halts, unusable dividends) through.
        **random: Arguments of :func:`random_spec` when ``spec`` is None (``seed``,
            ``n_assets``, ``n_sessions``, ``minute``, …).
    """
    if spec is None:
        spec = random_spec(**random)
    elif random:
        raise TypeError(f"pass either a spec or random_spec arguments, not both: {sorted(random)}")
    return spec.write(root, name, warn=warn)


def __getattr__(name: str) -> Any:
    if name == "bundle_specs":  # Hypothesis is a dev dependency: import it on first use
        from rustybt.testing.strategies import bundle_specs

        return bundle_specs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
