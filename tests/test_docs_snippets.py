"""Every Python and shell snippet of README.md, docs/ and migrations-notes/ runs as written.

What runs:
- A snippet is a fenced block tagged ``python``, ``sh``, ``bash`` or ``shell``. Other fences are
  not run (``text`` for usage synopses, ``sql`` for queries, untagged for layouts), except the
  worked queries of docs/user-guide/sql.md, which :func:`test_worked_query_runs` runs through
  ``BundleSQL``. A fence with any other tag fails :func:`test_fences_are_known`, so a snippet
  cannot slip out of the test by a spelling like ``py``.
- One document's snippets run in document order in one subprocess (this file run as a script):
  the Python snippets share one namespace; a shell snippet runs command by command with bash (a
  command is a line, or lines joined by a trailing backslash), so a failure names the line.
- The environment is a user's after the README's quickstart: ``RUSTYBT_ROOT`` is a fresh root
  per document holding the ``demo`` bundle made by ``rustybt ingest demo --source synthetic
  --assets 10 --years 1 --minute --minute-assets 2``; ``HOME`` is a temp directory holding
  ``~/csvdir`` (two symbols in zipline's csvdir layout) and, for documents that mention zipline
  bundles, ``~/.zipline/data/quandl/<ingestion>`` written by zipline's own writers; the working
  directory has ``.venv`` linked to this interpreter's environment, whose ``bin`` is also first
  on ``PATH``, so both ``.venv/bin/rustybt`` and ``rustybt`` work.

Skips are explicit and rare: ``<!-- snippet: skip (reason) -->`` on the line before a fence. Each
is reported as a skipped test naming document, line and reason. The README's first block
(``make demo`` / ``make test``) is the one skip without a marker: it must stay the README's first
thing, and ``make test`` runs this very test. Documents mentioning zipline are skipped as a whole
when zipline-reloaded is not installed (it is part of the ``dev`` extra below Python 3.13).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted(
    [REPO / "README.md", *(REPO / "docs").rglob("*.md"), *(REPO / "migrations-notes").rglob("*.md")]
)
RUN = {"python": "python", "sh": "sh", "bash": "sh", "shell": "sh"}
NOT_RUN = {"", "text", "sql"}
SKIP_MARKER = re.compile(r"^<!--\s*snippet:\s*skip\s*(?:\((?P<reason>.*)\))?\s*-->$")
FENCE = re.compile(r"^```(?P<lang>[\w+-]*)\s*$")
README_MAKE_BLOCK = "make targets: the README's first block must stay first; `make test` runs this"
ZIPLINE_STAMP = "2024-01-02T00;00;00.000000"  # zipline's ingestion directory name format
DEMO_INGEST = ["ingest", "demo", "--source", "synthetic", "--assets", "10", "--years", "1",
               "--minute", "--minute-assets", "2", "--no-progress"]  # fmt: skip


@dataclass(frozen=True)
class Snippet:
    """One fenced block: ``line`` is the 1-based line of its first code line."""

    doc: str
    line: int
    lang: str
    code: str
    skip: str | None = None


def extract(path: Path) -> list[Snippet]:
    """Every fenced block of ``path`` (runnable or not), with its skip reason if marked."""
    doc = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else path.name
    lines = path.read_text().splitlines()
    out: list[Snippet] = []
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if fence is None:
            i += 1
            continue
        start = i + 1
        end = start
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        if end == len(lines):
            raise ValueError(f"{doc}:{i + 1}: unclosed ``` fence")
        skip = None
        marker = SKIP_MARKER.match(lines[i - 1].strip()) if i > 0 else None
        if marker is not None:
            skip = (marker.group("reason") or "").strip()
            if not skip:
                raise ValueError(f"{doc}:{i}: a skip marker needs a reason: snippet: skip (why)")
        code = "\n".join(lines[start:end]) + "\n"
        if doc == "README.md" and not out and code.startswith("make demo"):
            skip = README_MAKE_BLOCK
        out.append(Snippet(doc, start + 1, fence.group("lang").lower(), code, skip))
        i = end + 1
    return out


def runnable(path: Path) -> list[Snippet]:
    """The snippets of ``path`` this test runs or reports as skipped."""
    return [s for s in extract(path) if s.lang in RUN]


def shell_commands(snippet: Snippet) -> list[tuple[int, str]]:
    """(doc line, command) of each command of a shell snippet; comments and blanks dropped."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    first = 0
    for offset, raw in enumerate(snippet.code.splitlines()):
        if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if not pending:
            first = snippet.line + offset
        pending.append(raw)
        if not raw.rstrip().endswith("\\"):
            out.append((first, "\n".join(pending)))
            pending = []
    if pending:
        out.append((first, "\n".join(pending)))
    return out


# ---------------------------------------------------------------------------- the runner
def run_snippets(snippets: list[Snippet]) -> int:
    """Run one document's snippets in order; print the failing doc:line and return 1 on error."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for snippet in snippets:
        if snippet.skip is not None:
            print(f"skip {snippet.doc}:{snippet.line}: {snippet.skip}", flush=True)
            continue
        if RUN[snippet.lang] == "python":
            print(f"run  {snippet.doc}:{snippet.line} (python)", flush=True)
            source = "\n" * (snippet.line - 1) + snippet.code  # tracebacks show the doc's lines
            try:
                exec(compile(source, snippet.doc, "exec"), namespace)
            except BaseException:
                print(f"FAILED {snippet.doc}:{snippet.line} (python snippet)", flush=True)
                traceback.print_exc(file=sys.stdout)
                return 1
            continue
        for line, command in shell_commands(snippet):
            print(f"run  {snippet.doc}:{line} $ {command}", flush=True)
            proc = subprocess.run(
                ["bash", "-o", "pipefail", "-c", command],
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            if proc.returncode != 0:
                print(
                    f"FAILED {snippet.doc}:{line} (shell, exit {proc.returncode}): {command}\n"
                    f"--- stdout\n{proc.stdout[-3000:]}--- stderr\n{proc.stderr[-3000:]}",
                    flush=True,
                )
                return 1
    return 0


def run_document(
    snippets: list[Snippet], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``snippets`` with this file as a script in a subprocess."""
    spec = cwd / "snippets.json"
    spec.write_text(json.dumps([asdict(s) for s in snippets]))
    return subprocess.run(
        [sys.executable, __file__, str(spec)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


# ---------------------------------------------------------------------------- fixtures
def _zipline_available() -> bool:
    from rustybt.compat.zipline.reference import zipline_available

    return zipline_available()


ZIPLINE_USE = re.compile(r"^\s*(from|import) zipline\b|\bimport[-_]zipline", re.M)


def _needs_zipline(snippets: list[Snippet]) -> bool:
    """True when a snippet imports zipline or imports a zipline bundle."""
    return any(ZIPLINE_USE.search(s.code) for s in snippets if s.skip is None)


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root holding the README's demo bundle, made by the README's own command."""
    from rustybt import unregister
    from rustybt.cli import main

    root = tmp_path_factory.mktemp("docs-root")
    try:
        assert main(["--root", str(root), *DEMO_INGEST]) == 0
    finally:
        unregister("demo")
    return root


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory, demo_root: Path) -> Path:
    """A HOME with ~/csvdir: two symbols of the demo bundle in zipline's csvdir layout."""
    from rustybt import load

    home = tmp_path_factory.mktemp("docs-home")
    bundle = load("demo", root=demo_root)
    (home / "csvdir" / "daily").mkdir(parents=True)
    for sid, symbol in ((0, "AAA"), (4, "BBB")):
        bars = bundle.read_daily(sid).set_index("date").iloc[:40]
        bars.to_csv(home / "csvdir" / "daily" / f"{symbol}.csv")
    return home


@pytest.fixture(scope="session")
def zipline_home(tmp_path_factory: pytest.TempPathFactory, home: Path) -> Path:
    """``home`` plus ~/.zipline/data/quandl/<ingestion>, written by zipline's own writers.

    A daily ingestion (4 assets, a quarter) with the empty minute store every zipline ingestion
    has, so ``zipline.data.bundles.load`` opens it too.
    """
    from zipline.data.bcolz_minute_bars import BcolzMinuteBarWriter

    from rustybt import ingest, register, unregister
    from rustybt.compat.zipline.reference import build_zipline_world
    from rustybt.data.bundles.sources import synthetic_ingest

    register("docs-zipline", synthetic_ingest(4, 0.25))
    try:
        bundle = ingest("docs-zipline", root=tmp_path_factory.mktemp("docs-zipline-root"))
    finally:
        unregister("docs-zipline")
    world = build_zipline_world(bundle, home / ".zipline" / "data" / "quandl" / ZIPLINE_STAMP)
    minute = world.path / "minute_equities.bcolz"
    minute.mkdir()
    first, last = bundle.first_session, bundle.last_session
    BcolzMinuteBarWriter(str(minute), world.calendar, first, last, minutes_per_day=390).write([])
    return home


def _environment(root: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ZIPLINE_ROOT", "PYTHONSTARTUP")}
    bin_dir = str(Path(sys.executable).parent)
    env.update(
        HOME=str(home),
        RUSTYBT_ROOT=str(root),
        PATH=os.pathsep.join([bin_dir, env.get("PATH", "")]),
        PYTHONPATH=os.pathsep.join(p for p in [str(REPO), env.get("PYTHONPATH", "")] if p),
        PYTHONWARNINGS="ignore",
    )
    return env


# ---------------------------------------------------------------------------- the tests
WITH_SNIPPETS = [d for d in DOCUMENTS if any(s.skip is None for s in runnable(d))]
SKIPPED = [s for d in DOCUMENTS for s in runnable(d) if s.skip is not None]


@pytest.mark.parametrize(
    "path", WITH_SNIPPETS, ids=[d.relative_to(REPO).as_posix() for d in WITH_SNIPPETS]
)
def test_snippets_run(
    path: Path, demo_root: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    snippets = runnable(path)
    needs_zipline = _needs_zipline(snippets)
    if needs_zipline and not _zipline_available():
        pytest.skip(f"{path.relative_to(REPO)}: needs zipline-reloaded (the dev extra)")
    home = request.getfixturevalue("zipline_home" if needs_zipline else "home")
    root = tmp_path / "root"
    shutil.copytree(demo_root, root, symlinks=True)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    proc = run_document(snippets, _environment(root, home), cwd)
    if proc.returncode != 0:
        pytest.fail(f"{path.relative_to(REPO)}:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")


@pytest.mark.parametrize("snippet", SKIPPED, ids=[f"{s.doc}:{s.line}" for s in SKIPPED])
def test_marked_skips_are_reported(snippet: Snippet) -> None:
    """Each skip shows up in the run's summary with its document, line and reason."""
    pytest.skip(f"{snippet.doc}:{snippet.line}: {snippet.skip}")


def test_skips_are_rare() -> None:
    runnable_count = sum(len(runnable(d)) for d in DOCUMENTS)
    assert runnable_count >= 15 and len(WITH_SNIPPETS) >= 8
    assert len(SKIPPED) <= 3, [f"{s.doc}:{s.line}" for s in SKIPPED]


def test_fences_are_known() -> None:
    for path in DOCUMENTS:
        for s in extract(path):
            assert s.lang in RUN or s.lang in NOT_RUN, f"{s.doc}:{s.line - 1}: ```{s.lang}"


PANDAS_PARQUET_READ = re.compile(r"\b(pd|pandas)\.read_parquet\(")


def test_snippets_read_parquet_with_pyarrow() -> None:
    """``pd.read_parquet(path)`` hands pyarrow a Python file object; an Arrow I/O thread may drop
    the last reference to it while the interpreter exits, and the snippet process then aborts
    with "terminate called without an active exception" after every snippet passed (seen on
    docs/user-guide/optimization.md; apache/arrow#34314). Snippets let pyarrow open the file."""
    for path in DOCUMENTS:
        for s in runnable(path):
            if s.lang == "python" and s.skip is None:
                assert not PANDAS_PARQUET_READ.search(s.code), (
                    f"{s.doc}:{s.line}: read Parquet with pyarrow.parquet.read_table(path)"
                )


def test_failures_name_the_document_and_line(tmp_path: Path) -> None:
    doc = tmp_path / "bad.md"
    doc.write_text(
        "# t\n\n```python\nx = 1\n```\n\n```sh\ntrue\necho ok && \\\n  false\n```\n"
        "\n```python\nassert x == 2, 'x is 1'\n```\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = run_document(runnable(doc), env, tmp_path)
    assert proc.returncode == 1
    assert "FAILED bad.md:9 (shell, exit 1): echo ok" in proc.stdout
    doc.write_text(doc.read_text().replace("  false", "  true"))
    proc = run_document(runnable(doc), env, tmp_path)
    assert proc.returncode == 1
    assert "FAILED bad.md:14 (python snippet)" in proc.stdout
    assert 'File "bad.md", line 14' in proc.stdout and "x is 1" in proc.stdout


def test_skip_marker_needs_a_reason(tmp_path: Path) -> None:
    doc = tmp_path / "skip.md"
    doc.write_text("<!-- snippet: skip (slow) -->\n```sh\nfalse\n```\n")
    assert [s.skip for s in runnable(doc)] == ["slow"]
    doc.write_text("<!-- snippet: skip -->\n```sh\nfalse\n```\n")
    with pytest.raises(ValueError, match=r"skip\.md:1: a skip marker needs a reason"):
        runnable(doc)


# ---------------------------------------------------------------------------- paths and names
PATH_REF = re.compile(
    r"(?<![\w.~/-])((?:tests|benchmarks|rustybt|docs|migrations-notes|scripts)/[\w./-]*\w/?)"
)
LINK = re.compile(r"\]\(([^)#\s]+)")
MODULE_REF = re.compile(r"`(rustybt(?:\.\w+)+)")
NOT_PYTHON_NAMES = {  # dotted names in docs that are not importable objects, and why
    "rustybt.data.polars.PolarsDataPortal": "the old RustyBT portal a note migrates from",
    "rustybt.sources": "the entry-point group of source plugins",
}


def test_paths_and_links_exist() -> None:
    for path in DOCUMENTS:
        text = path.read_text()
        for ref in PATH_REF.findall(text):
            assert (REPO / ref).exists(), f"{path.relative_to(REPO)}: {ref} does not exist"
        for link in LINK.findall(text):
            if "://" not in link:
                target = (path.parent / link).resolve()
                assert target.exists(), f"{path.relative_to(REPO)}: link {link} does not exist"


def test_dotted_names_resolve() -> None:
    import importlib

    for path in DOCUMENTS:
        for name in MODULE_REF.findall(path.read_text()):
            if name in NOT_PYTHON_NAMES:
                continue
            parts = name.split(".")
            for cut in range(len(parts), 0, -1):
                try:
                    obj: Any = importlib.import_module(".".join(parts[:cut]))
                except ImportError:
                    continue
                for attr in parts[cut:]:
                    obj = getattr(obj, attr, None)
                    assert obj is not None, f"{path.relative_to(REPO)}: {name} does not exist"
                break


# ---------------------------------------------------------------------------- SQL worked queries
SQL_DOC = REPO / "docs" / "user-guide" / "sql.md"


def worked_queries() -> list[tuple[str, str]]:
    """(title, sql) of each '### N.' section of the 'Worked queries' part of the SQL guide."""
    part = SQL_DOC.read_text().split("## Worked queries", 1)[1].split("\n## ", 1)[0]
    out = []
    for section in re.split(r"\n### ", part)[1:]:
        title = section.splitlines()[0]
        block = re.search(r"```sql\n(.*?)```", section, re.S)
        assert block is not None, f"no sql block under {title!r}"
        out.append((title, block.group(1)))
    return out


QUERIES = worked_queries()


def test_there_are_ten_worked_queries() -> None:
    assert len(QUERIES) == 10
    assert [t.split(".")[0] for t, _ in QUERIES] == [str(i) for i in range(1, 11)]


@pytest.fixture(scope="module")
def sql_docs_bundle(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """12 assets × 2 years: enough history for every worked query to return rows."""
    from rustybt import ingest, register
    from rustybt.data.bundles.sources import synthetic_ingest

    register("sql_docs", synthetic_ingest(12, 2, seed=3))
    return ingest("sql_docs", root=tmp_path_factory.mktemp("sql-docs"))


@pytest.mark.parametrize(("title", "query"), QUERIES, ids=[t.split(".")[0] for t, _ in QUERIES])
def test_worked_query_runs(sql_docs_bundle: Any, title: str, query: str) -> None:
    import numpy as np

    from rustybt import BundleSQL

    bundle = sql_docs_bundle
    with BundleSQL(bundle) as s:
        result = s.query(query).df()
    assert len(result) > 0, title
    numeric = result.select_dtypes("number").to_numpy(float)
    assert np.isfinite(numeric[~np.isnan(numeric)]).all()
    bundle.verify()


if __name__ == "__main__":
    sys.exit(run_snippets([Snippet(**s) for s in json.loads(Path(sys.argv[1]).read_text())]))
