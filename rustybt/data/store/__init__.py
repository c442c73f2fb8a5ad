"""The mapped store: a bundle version derived into uncompressed Arrow IPC files, memory-mapped.

One file per frequency in ``<bundle>/.cache/<version>/``, laid out asset by asset along every
session (or minute) of the calendar, plus a calendar file and cumulative adjustment factors.
Built once per version from the bundle's Parquet (:mod:`.build`), opened with ``pa.memory_map``
(:mod:`.mapped`), indexed by :mod:`.calendar_index`; file and column names live in
:mod:`.format`. The store is derived data: anything wrong with it is rebuilt, never trusted.

Integrity (:mod:`.checksum`): the build reads only bundle files that match the manifest
(SHA256, size, sid column, one bar a date; else ``BundleCorrupted`` naming the file, and no
store is cached). Each store file is sealed with a sha256 per column plus one over its footer
(schema and metadata). When the checks run:

- build: the written temporary file is re-hashed in full before it is published;
- open: footer digest, metadata decoding, column sizes/order/overlap (~1 ms, as before); plus a
  full re-hash once per process for files up to ``format.FULL_CHECK_MAX_BYTES`` (32 MiB: 7 MB
  took 20 ms) — a 2 GB minute store is not hashed on open;
- ``rustybt bundles verify`` (:func:`.verify.verify_stores`): every built file in full;
  failures are rebuilt, or reported with ``--no-rebuild``.

Any failure is ``StoreCorrupted`` and the file is rebuilt by ``ensure_store``.
"""

from rustybt.data.store.adjustments import AdjustmentEvents, load_events
from rustybt.data.store.calendar_index import CalendarIndex, to_ns
from rustybt.data.store.mapped import MappedStore, ensure_store

__all__ = [
    "AdjustmentEvents",
    "CalendarIndex",
    "MappedStore",
    "ensure_store",
    "load_events",
    "to_ns",
]
