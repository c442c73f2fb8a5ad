"""Fixtures for the portal tests: small random bundles written into tmp dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from rustybt import ArrowDataPortal
from rustybt.testing import BundleSpec, make_bundle, random_spec


@pytest.fixture
def daily_world(tmp_path: Path) -> tuple[BundleSpec, object, ArrowDataPortal]:
    spec = random_spec(7, 4, 40)
    bundle = make_bundle(tmp_path, spec, name="t")
    return spec, bundle, ArrowDataPortal(bundle)


@pytest.fixture
def minute_world(tmp_path: Path) -> tuple[BundleSpec, object, ArrowDataPortal]:
    spec = random_spec(11, 3, 8, minute=True)
    bundle = make_bundle(tmp_path, spec, name="t")
    return spec, bundle, ArrowDataPortal(bundle)
