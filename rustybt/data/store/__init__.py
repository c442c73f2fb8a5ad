"""The mapped store: a bundle version derived into uncompressed Arrow IPC files, memory-mapped.

One file per frequency in ``<bundle>/.cache/<version>/``, laid out asset by asset along every
session (or minute) of the calendar, plus a calendar file and cumulative adjustment factors.
Built once per version from the bundle's Parquet (:mod:`.build`), opened with ``pa.memory_map``
(:mod:`.mapped`), indexed by :mod:`.calendar_index`; file and column names live in
:mod:`.format`. The store is derived data: anything wrong with it is rebuilt, never trusted.
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
