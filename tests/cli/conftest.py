"""Fixtures of the CLI tests: a private root, registrations and sources forgotten afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rustybt import registered, unregister
from rustybt.data.bundles.sources import registered_sources, unregister_source
from rustybt.data.bundles.sources.registry import _SOURCES


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh rustybt root (also set as RUSTYBT_ROOT)."""
    path = tmp_path / "root"
    monkeypatch.setenv("RUSTYBT_ROOT", str(path))
    return path


@pytest.fixture(autouse=True)
def _forget_registrations() -> Iterator[None]:
    bundles_before = set(registered())
    sources_before = dict(registered_sources())
    yield
    for name in set(registered()) - bundles_before:
        unregister(name)
    for name in set(registered_sources()) - set(sources_before):
        unregister_source(name)
    _SOURCES.update(sources_before)
