"""Fixtures for the portal tests: small bundles written into tmp dirs."""

from __future__ import annotations

from pathlib import Path

import pytest
from portal_data import Spec, random_spec, write_bundle

from rustybt import ArrowDataPortal


@pytest.fixture
def daily_world(tmp_path: Path) -> tuple[Spec, object, ArrowDataPortal]:
    spec = random_spec(7, 4, 40)
    bundle = write_bundle(spec, tmp_path)
    return spec, bundle, ArrowDataPortal(bundle)


@pytest.fixture
def minute_world(tmp_path: Path) -> tuple[Spec, object, ArrowDataPortal]:
    spec = random_spec(11, 3, 8, minute=True)
    bundle = write_bundle(spec, tmp_path)
    return spec, bundle, ArrowDataPortal(bundle)
