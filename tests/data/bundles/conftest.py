"""Fixtures for bundle tests: a private root per test and registrations cleaned up after."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rustybt import Bundle, ingest, register, registered, unregister

_counter = itertools.count()


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh rustybt root (also set as RUSTYBT_ROOT)."""
    path = tmp_path / "root"
    monkeypatch.setenv("RUSTYBT_ROOT", str(path))
    return path


@pytest.fixture
def make_bundle(root: Path) -> Iterator[Callable[..., Bundle]]:
    """``make_bundle(fn, name=None, **register_kwargs)``: register and ingest into ``root``."""
    names: list[str] = []

    def make(fn: Any, name: str | None = None, **kwargs: Any) -> Bundle:
        name = name or f"b{next(_counter)}"
        register(name, fn, **kwargs)
        names.append(name)
        return ingest(name, root=root)

    yield make
    for name in set(names):
        if name in registered():
            unregister(name)
