"""Integrity of the mapped store and of what it is built from: real corruptions, real bundles.

A damaged store file (flipped bit, zeroed page, edited footer) is rebuilt, never served; a
damaged bundle file (deleted, flipped bit, swapped for another sid's) stops the build with
``BundleCorrupted`` naming it, and no store is cached for it.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from rustybt import ArrowDataPortal, BundleCorrupted, StoreCorrupted
from rustybt.cli import main
from rustybt.data.bundles import Bundle
from rustybt.data.store import MappedStore
from rustybt.data.store.checksum import seal
from rustybt.data.store.format import STORE_FORMAT
from rustybt.data.store.mapped import write_atomic
from rustybt.data.store.verify import verify_stores
from rustybt.testing import known_values_spec, make_bundle

FIELDS = ["open", "high", "low", "close", "volume"]
SIDS = [0, 1, 2, 3]


@pytest.fixture
def bundle(tmp_path: Path) -> Bundle:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_bundle(tmp_path, known_values_spec(), name="fixed")


def _all_bars(bundle: Bundle) -> np.ndarray:
    p = ArrowDataPortal(bundle)
    return np.stack([p.history(SIDS, f, 30, end_dt=bundle.last_session, return_type="array")
                     for f in FIELDS])


def _daily(bundle: Bundle) -> Path:
    return Path(bundle.cache_dir) / "daily.arrow"


def _flip(path: Path, offset: int, bit: int = 3) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)[0]
        fh.seek(offset)
        fh.write(bytes([byte ^ (1 << bit)]))


def test_flipped_bit_in_store_data_is_rebuilt(bundle: Bundle) -> None:
    expected = _all_bars(bundle)
    path = _daily(bundle)
    close2 = MappedStore(path, "daily", bundle.version).matrix("close")[2].tobytes()
    offset = path.read_bytes().find(close2)
    assert offset > 0
    _flip(path, offset + 6)  # an exponent bit of sid 2's first close
    with pytest.raises(StoreCorrupted, match="'close' fails its checksum"):
        MappedStore(path, "daily", bundle.version, full_check=True)
    np.testing.assert_array_equal(_all_bars(bundle), expected)
    MappedStore(path, "daily", bundle.version, full_check=True)  # rebuilt


def test_no_zeroed_4k_page_serves_wrong_numbers(bundle: Bundle) -> None:
    expected = _all_bars(bundle)
    path = _daily(bundle)
    original = path.read_bytes()
    caught = 0
    for start in range(0, len(original), 4096):
        page = bytearray(original)
        page[start:start + 4096] = bytes(len(page[start:start + 4096]))
        path.write_bytes(bytes(page))
        try:
            MappedStore(path, "daily", bundle.version, full_check=True)
        except StoreCorrupted:
            caught += 1
        np.testing.assert_array_equal(_all_bars(bundle), expected, err_msg=f"page at {start}")
    assert caught >= len(original) // 4096  # every page holding data or footer is caught


def test_footer_edit_swapping_two_assets_is_rebuilt(bundle: Bundle) -> None:
    expected = _all_bars(bundle)
    path = _daily(bundle)
    data = path.read_bytes()
    assert data.count(b"[0, 1, 2, 3]") >= 1
    path.write_bytes(data.replace(b"[0, 1, 2, 3]", b"[1, 0, 2, 3]"))
    with pytest.raises(StoreCorrupted, match="footer"):
        MappedStore(path, "daily", bundle.version)
    np.testing.assert_array_equal(_all_bars(bundle), expected)


def test_invalid_footer_json_is_store_corrupted_and_rebuilt(bundle: Bundle) -> None:
    expected = _all_bars(bundle)
    path = _daily(bundle)
    data = path.read_bytes()
    path.write_bytes(data.replace(b"[0, 1, 2, 3]", b"[0, 1, 2, 3}"))  # unsealed edit
    with pytest.raises(StoreCorrupted):
        MappedStore(path, "daily", bundle.version)
    meta = {b"rustybt.store_format": STORE_FORMAT.encode(),
            b"rustybt.bundle_version": bundle.version.encode(), b"rustybt.kind": b"daily",
            b"rustybt.sids": b"[0, 1,", b"rustybt.length": b"1"}
    write_atomic(path, seal(pa.record_batch({"close": pa.array([1.0])})
                            .replace_schema_metadata(meta)))  # sealed, yet not JSON
    with pytest.raises(StoreCorrupted, match="unreadable store metadata"):
        MappedStore(path, "daily", bundle.version)
    np.testing.assert_array_equal(_all_bars(bundle), expected)


def test_store_without_checksums_is_rebuilt(bundle: Bundle) -> None:
    expected = _all_bars(bundle)
    path = _daily(bundle)
    reader = pa.ipc.open_file(pa.memory_map(str(path)))
    batch = reader.get_batch(0)
    meta = {k: v for k, v in batch.schema.metadata.items() if b"checksum" not in k}
    write_atomic(path, batch.replace_schema_metadata(meta))
    with pytest.raises(StoreCorrupted, match="no checksum"):
        MappedStore(path, "daily", bundle.version)
    np.testing.assert_array_equal(_all_bars(bundle), expected)


def test_verify_checks_the_store_and_rebuilds_it(bundle: Bundle, capsys) -> None:  # type: ignore[no-untyped-def]
    _all_bars(bundle)
    path = _daily(bundle)
    root = bundle.path.parents[2]
    assert main(["--root", str(root), "bundles", "verify", "fixed"]) == 0
    assert "daily.arrow ok" in capsys.readouterr().out
    big = path.stat().st_size // 2
    _flip(path, big)
    assert [c.status for c in verify_stores(bundle, rebuild=False)
            if c.name == "daily.arrow"] == ["corrupted"]
    assert main(["--root", str(root), "bundles", "verify", "fixed", "--no-rebuild"]) == 1
    assert "daily.arrow is corrupted" in capsys.readouterr().err
    assert main(["--root", str(root), "bundles", "verify", "fixed"]) == 0
    out = capsys.readouterr()
    assert "daily.arrow was rebuilt" in out.err and "daily.arrow rebuilt" in out.out
    MappedStore(path, "daily", bundle.version, full_check=True)


# ------------------------------------------------------------------ damaged bundle input
def _no_store_built(bundle: Bundle) -> None:
    assert not _daily(bundle).exists()


def test_deleted_bar_file_stops_the_build(bundle: Bundle) -> None:
    (bundle.path / "daily" / "2.parquet").unlink()
    with pytest.raises(BundleCorrupted, match=r"daily/2\.parquet is listed in the manifest"):
        ArrowDataPortal(bundle)
    _no_store_built(bundle)


def test_flipped_bit_in_bar_file_stops_the_build(bundle: Bundle) -> None:
    path = bundle.path / "daily" / "0.parquet"
    _flip(path, path.stat().st_size // 3)
    with pytest.raises(BundleCorrupted, match=r"daily/0\.parquet: SHA256"):
        ArrowDataPortal(bundle)
    _no_store_built(bundle)


def test_bar_file_swapped_for_another_sids_stops_the_build(bundle: Bundle) -> None:
    shutil.copyfile(bundle.path / "daily" / "1.parquet", bundle.path / "daily" / "2.parquet")
    with pytest.raises(BundleCorrupted, match=r"daily/2\.parquet"):
        ArrowDataPortal(bundle)
    _no_store_built(bundle)


def test_extra_bar_file_and_damaged_assets_stop_the_build(bundle: Bundle) -> None:
    shutil.copyfile(bundle.path / "daily" / "1.parquet", bundle.path / "daily" / "3.parquet")
    with pytest.raises(BundleCorrupted, match=r"daily/3\.parquet is not in the manifest"):
        ArrowDataPortal(bundle)
    (bundle.path / "daily" / "3.parquet").unlink()
    _flip(bundle.path / "assets.parquet", 100)
    with pytest.raises(BundleCorrupted, match=r"assets\.parquet"):
        ArrowDataPortal(bundle)
    _no_store_built(bundle)

