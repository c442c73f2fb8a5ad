"""The mapped store: layout, zero-copy opening, stale/corrupt rebuild, concurrent builds, RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from rustybt import ArrowDataPortal, StoreCorrupted
from rustybt.data.store import MappedStore
from rustybt.data.store.checksum import seal
from rustybt.data.store.format import STORE_FORMAT
from rustybt.data.store.mapped import ensure_store, write_atomic
from rustybt.testing import KNOWN, known_values_spec, make_bundle

N = KNOWN.N

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def bundle(tmp_path: Path) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_bundle(tmp_path, known_values_spec(), name="fixed")


def test_layout_is_asset_major_along_every_session(bundle: object) -> None:
    p = ArrowDataPortal(bundle)
    store = p.store("daily")
    path = Path(bundle.cache_dir) / "daily.arrow"  # type: ignore[attr-defined]
    assert store.path == path
    reader = pa.ipc.open_file(pa.memory_map(str(path)))
    assert reader.num_record_batches == 1
    meta = reader.schema.metadata
    assert meta[b"rustybt.store_format"] == STORE_FORMAT.encode()
    assert meta[b"rustybt.bundle_version"] == bundle.version.encode()  # type: ignore[attr-defined]
    assert json.loads(meta[b"rustybt.sids"]) == [0, 1, 2, 3]
    assert json.loads(meta[b"rustybt.offsets"]) == [0, N, 2 * N, 3 * N]
    for name in ("open", "high", "low", "close", "volume", "price_factor"):
        assert reader.schema.field(name).type == pa.float64()
    close = store.matrix("close")
    assert close.shape == (4, N)
    np.testing.assert_array_equal(close[2], 10.0 + np.arange(N))
    assert np.isnan(close[3]).all() and (store.matrix("volume")[3] == 0).all()
    assert not close.flags.writeable


def _corrupt(path: Path, how: str, other: Path | None = None) -> None:
    if how == "garbage":
        path.write_bytes(b"not an arrow file" * 100)
    elif how == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif how == "stale":
        assert other is not None
        os.replace(other, path)
    elif how == "missing":
        path.unlink()


@pytest.mark.parametrize("how", ["garbage", "truncated", "stale", "missing"])
def test_corrupt_or_stale_store_is_rebuilt(bundle: object, tmp_path: Path, how: str) -> None:
    p = ArrowDataPortal(bundle)
    expected = p.history([0, 1, 2], "price", 20, return_type="array").copy()
    path = p.store("daily").path
    other = None
    if how == "stale":  # a daily store built for another version
        batch = pa.record_batch({"close": pa.array([1.0])}).replace_schema_metadata(
            {b"rustybt.store_format": STORE_FORMAT.encode(), b"rustybt.bundle_version": b"old",
             b"rustybt.kind": b"daily"})
        other = tmp_path / "old.arrow"
        write_atomic(other, batch)
    del p
    _corrupt(path, how, other)
    q = ArrowDataPortal(bundle)
    np.testing.assert_array_equal(q.history([0, 1, 2], "price", 20, return_type="array"),
                                  expected)
    MappedStore(path, "daily", bundle.version)  # type: ignore[attr-defined]


def test_store_validation_errors(bundle: object, tmp_path: Path) -> None:
    p = ArrowDataPortal(bundle)
    path = p.store("daily").path
    version = bundle.version  # type: ignore[attr-defined]
    with pytest.raises(StoreCorrupted, match="expected 'minute'"):
        MappedStore(path, "minute", version)
    with pytest.raises(StoreCorrupted, match="bundle version"):
        MappedStore(path, "daily", "other")
    bad = tmp_path / "two.arrow"
    batch = pa.record_batch({"x": pa.array([1.0])})
    with pa.OSFile(str(bad), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as w:
        w.write_batch(batch)
        w.write_batch(batch)
    with pytest.raises(StoreCorrupted, match="2 record batches"):
        MappedStore(bad, "daily", version)
    meta = {b"rustybt.store_format": STORE_FORMAT.encode(),
            b"rustybt.bundle_version": version.encode(), b"rustybt.kind": b"daily"}
    for arr, match in ((pa.array([1.0, None]), "nulls"), (pa.array(["a"]), "type"),
                       (pa.array([1.0, 2.0]), "rows")):
        extra = {b"rustybt.sids": b"[1]", b"rustybt.length": b"5"} if match == "rows" else {}
        write_atomic(bad, seal(pa.record_batch({"x": arr}).replace_schema_metadata(
            {**meta, **extra})))
        with pytest.raises(StoreCorrupted, match=match):
            MappedStore(bad, "daily", version)
    write_atomic(bad, pa.record_batch({"x": pa.array([1.0])}).replace_schema_metadata(
        {**meta, b"rustybt.store_format": b"v0"}))
    with pytest.raises(StoreCorrupted, match="format"):
        MappedStore(bad, "daily", version)
    # ensure_store rebuilds it
    built = ensure_store(tmp_path, "two.arrow", "daily", version,
                         lambda: pa.record_batch({"x": pa.array([3, 4])}).replace_schema_metadata(
                             meta))
    assert built.columns["x"].tolist() == [3, 4]


_BUILD = textwrap.dedent("""
    import sys, hashlib, numpy as np
    from rustybt.data.bundles import Bundle
    from rustybt import ArrowDataPortal
    p = ArrowDataPortal(Bundle(sys.argv[1]))
    arr = p.history(list(range(4)), "price", 25, return_type="array")
    print(hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest())
""")


def test_two_processes_build_at_once(bundle: object) -> None:
    cache = Path(bundle.cache_dir)  # type: ignore[attr-defined]
    assert not (cache / "daily.arrow").exists()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", _BUILD, str(bundle.path)],  # type: ignore[attr-defined]
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        for _ in range(2)
    ]
    outs = [proc.communicate(timeout=120) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outs
    assert outs[0][0] == outs[1][0] and len(outs[0][0].strip()) == 64
    assert not [f for f in os.listdir(cache) if ".tmp-" in f]
    MappedStore(cache / "daily.arrow", "daily", bundle.version)  # type: ignore[attr-defined]


_RSS = textwrap.dedent("""
    import sys, resource, psutil, numpy as np, pyarrow as pa
    from rustybt.data.store.mapped import MappedStore
    proc = psutil.Process()
    before = proc.memory_info().rss
    store = MappedStore(__import__("pathlib").Path(sys.argv[1]), "minute", "v")
    close = store.matrix("close")
    total = float(close[-1, -10:].sum() + close[0, :10].sum())
    after = proc.memory_info().rss
    print((after - before) / 2**20, store.batch.num_rows, total)
""")

_WRITE = textwrap.dedent("""
    import sys, numpy as np, pyarrow as pa, json
    from pathlib import Path
    from rustybt.data.store.mapped import write_atomic
    from rustybt.data.store.checksum import seal
    from rustybt.data.store.format import STORE_FORMAT
    n_assets, length = int(sys.argv[2]), int(sys.argv[3])
    col = np.arange(n_assets * length, dtype=np.float64)
    meta = {b"rustybt.store_format": STORE_FORMAT.encode(), b"rustybt.bundle_version": b"v",
            b"rustybt.kind": b"minute", b"rustybt.length": str(length).encode(),
            b"rustybt.sids": json.dumps(list(range(n_assets))).encode()}
    cols = {c: pa.array(col) for c in ("open", "high", "low", "close", "volume")}
    write_atomic(Path(sys.argv[1]), seal(pa.record_batch(cols).replace_schema_metadata(meta)))
""")


def _rss_after_open(tmp_path: Path, n_assets: int, length: int) -> float:
    path = tmp_path / "minute.arrow"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", _WRITE, str(path), str(n_assets), str(length)],
                   check=True, env=env)
    size = path.stat().st_size
    out = subprocess.run([sys.executable, "-c", _RSS, str(path)], check=True, env=env,
                         capture_output=True, text=True).stdout.split()
    grew_mb, rows = float(out[0]), int(out[1])
    assert rows == n_assets * length and size > rows * 40
    return grew_mb


def test_rss_after_opening_a_large_store(tmp_path: Path) -> None:
    # 100 assets x 98,280 minutes (one year) x 5 float64 columns = 393 MB
    assert _rss_after_open(tmp_path, 100, 98_280) < 50


@pytest.mark.slow
def test_rss_after_opening_a_2gb_store(tmp_path: Path) -> None:
    assert _rss_after_open(tmp_path, 520, 98_280) < 50
