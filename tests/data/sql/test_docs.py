"""Every worked query of docs/user-guide/sql.md runs on a synthetic bundle and returns rows."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from rustybt import Bundle, BundleSQL, ingest, register
from rustybt.data.bundles.sources.synthetic import synthetic_ingest

DOC = Path(__file__).resolve().parents[3] / "docs" / "user-guide" / "sql.md"


def worked_queries() -> list[tuple[str, str]]:
    """(title, sql) of each '### N.' section of the 'Worked queries' part."""
    text = DOC.read_text()
    part = text.split("## Worked queries", 1)[1].split("\n## ", 1)[0]
    out = []
    for section in re.split(r"\n### ", part)[1:]:
        title = section.splitlines()[0]
        block = re.search(r"```sql\n(.*?)```", section, re.S)
        assert block is not None, f"no sql block under {title!r}"
        out.append((title, block.group(1)))
    return out


QUERIES = worked_queries()


@pytest.fixture(scope="module")
def docs_bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    register("sql_docs", synthetic_ingest(12, 2, seed=3))
    return ingest("sql_docs", root=tmp_path_factory.mktemp("docs"))


def test_there_are_ten_worked_queries() -> None:
    assert len(QUERIES) == 10
    assert [t.split(".")[0] for t, _ in QUERIES] == [str(i) for i in range(1, 11)]


@pytest.mark.parametrize(("title", "query"), QUERIES, ids=[t.split(".")[0] for t, _ in QUERIES])
def test_worked_query_runs(docs_bundle: Bundle, title: str, query: str) -> None:
    with BundleSQL(docs_bundle) as s:
        result = s.query(query).df()
    assert len(result) > 0, title
    numeric = result.select_dtypes("number")
    assert np.isfinite(numeric.to_numpy(float)[~np.isnan(numeric.to_numpy(float))]).all()
    docs_bundle.verify()
