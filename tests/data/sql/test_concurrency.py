"""Threads (one cursor each) and processes querying the same bundle at once."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from rustybt import Bundle, BundleSQL
from rustybt.data.sql.engine import sql

QUERIES = [
    ("SELECT sid, count(*), sum(close) FROM daily_bars WHERE sid = ? GROUP BY sid", [1]),
    ("SELECT sid, count(*), sum(close) FROM daily_bars WHERE sid = ? GROUP BY sid", [2]),
    ("SELECT round(sum(close), 6) FROM daily_bars_adjusted WHERE volume > $v", {"v": 300}),
    ("SELECT count(*) FROM minute_bars", None),
    ("SELECT symbol FROM assets ORDER BY sid", None),
]


def test_eight_threads_hundred_queries_each(small_bundle: Bundle) -> None:
    with BundleSQL(small_bundle) as s:
        expected = [s.query(q, p).fetchall() for q, p in QUERIES]
        cursors: set[int] = set()
        lock = threading.Lock()

        def work(worker: int) -> int:
            ok = 0
            for i in range(100):
                k = (worker + i) % len(QUERIES)
                q, p = QUERIES[k]
                # half through the shared object, half through the module-level function
                got = s.query(q, p) if i % 2 else sql(small_bundle, q, p)
                assert got.fetchall() == expected[k]
                ok += 1
            with lock:
                cursors.add(id(s.cursor()))
            return ok

        with ThreadPoolExecutor(max_workers=8) as pool:
            done = list(pool.map(work, range(8)))
    assert done == [100] * 8
    assert len(cursors) == 8  # one cursor per thread
    small_bundle.verify()


_CHILD = """
import json, sys
from rustybt.data.bundles import Bundle
from rustybt.data.sql.engine import sql
b = Bundle(sys.argv[1])
out = [sql(b, q, p).fetchall() for q, p in json.loads(sys.argv[2]) for _ in range(10)]
print(json.dumps(out[::10]))
"""


def test_several_processes_query_the_same_bundle(small_bundle: Bundle) -> None:
    queries = json.dumps(QUERIES)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(small_bundle.path), queries],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    with BundleSQL(small_bundle) as s:
        expected = json.loads(json.dumps([s.query(q, p).fetchall() for q, p in QUERIES]))
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert json.loads(out.strip().splitlines()[-1]) == expected
    small_bundle.verify()
