"""Fixtures for bundle tests: ingest through the registry, registrations cleaned up after.

``root`` (a private rustybt root per test) comes from tests/conftest.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rustybt import Bundle, ingest, register, registered, unregister
from rustybt.testing import BundleSpec

_counter = itertools.count()


@pytest.fixture
def ingest_source(root: Path) -> Iterator[Callable[..., Bundle]]:
    """``ingest_source(source, name=None, **register_kwargs)``: register and ingest into root.

    ``source`` is an ingest function (``fn(writer)``, e.g. a source from
    ``rustybt.data.bundles.sources``) or a :class:`rustybt.testing.BundleSpec`, which is
    registered with its calendar and (when pinned) its session range.
    """
    names: list[str] = []

    def make(source: Any, name: str | None = None, **kwargs: Any) -> Bundle:
        name = name or f"b{next(_counter)}"
        if isinstance(source, BundleSpec):
            kwargs.setdefault("calendar_name", source.calendar_name)
            if source.pin_sessions:
                kwargs.setdefault("start_session", source.sessions[0])
                kwargs.setdefault("end_session", source.sessions[-1])
            source = source.write_into
        register(name, source, **kwargs)
        names.append(name)
        return ingest(name, root=root)

    yield make
    for name in set(names):
        if name in registered():
            unregister(name)
