"""Bundle names are one plain path component: nothing is written or cleaned outside the root."""

from __future__ import annotations

from pathlib import Path

import pytest

from rustybt import InvalidBundleName, clean, ingest, load, register
from rustybt.data.bundles.registry import check_name


@pytest.mark.parametrize(
    "name", ["../up", "/abs/path", "a/b", "a\\b", "", ".", "..", ".tmp-x", "-rf", "x" * 129, 3]
)
def test_invalid_names_raise_everywhere(name: object, tmp_path: Path) -> None:
    with pytest.raises(InvalidBundleName, match="invalid bundle name"):
        check_name(name)
    with pytest.raises(InvalidBundleName):
        register(name, lambda writer: None)  # type: ignore[arg-type]
    with pytest.raises(InvalidBundleName):
        ingest(name, root=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(InvalidBundleName):
        load(name, root=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(InvalidBundleName):
        clean(name, keep=1, root=tmp_path)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["demo", "my-bundle_2", "quandl.2024", "A1"])
def test_valid_names(name: str) -> None:
    assert check_name(name) == name


def test_invalid_name_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        check_name("../x")
