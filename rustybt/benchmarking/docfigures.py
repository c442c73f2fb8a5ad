"""Generated figures in documents: replace the text between a named pair of markers.

No figure in ``docs/`` is typed by hand: a benchmark script or ``rustybt bench report``
renders its tables and writes them into a Markdown file between two HTML comments,

.. code-block:: markdown

    <!-- BENCHMARK:sql:START -->
    (generated; regenerate with the command the block names)
    <!-- BENCHMARK:sql:END -->

Invariants: each marker of a name appears exactly once, START before END, or nothing is
written and :class:`~rustybt.errors.DocMarkersNotFound` names the file and the marker; the
text outside the markers is kept byte for byte; the file is replaced atomically, so a reader
never sees half a document.
"""

from __future__ import annotations

import re
from pathlib import Path

from rustybt._fs import atomic_write
from rustybt.errors import DocMarkersNotFound

__all__ = ["markers", "read_between_markers", "update_between_markers"]

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def markers(name: str) -> tuple[str, str]:
    """The START and END comments of the block called ``name``."""
    if not _NAME.match(name):
        raise DocMarkersNotFound(
            f"marker name {name!r} must be letters, digits, '.', '_' or '-'"
        )
    return f"<!-- BENCHMARK:{name}:START -->", f"<!-- BENCHMARK:{name}:END -->"


def _split(path: Path, text: str, name: str) -> tuple[str, str, str]:
    start, end = markers(name)
    for marker in (start, end):
        count = text.count(marker)
        if count != 1:
            found = "is missing" if count == 0 else f"appears {count} times"
            raise DocMarkersNotFound(f"{path}: marker {marker} {found} (it must appear once)")
    head, rest = text.split(start, 1)
    if end not in rest:
        raise DocMarkersNotFound(f"{path}: marker {end} comes before {start}")
    body, tail = rest.split(end, 1)
    return head, body, tail


def read_between_markers(path: str | Path, name: str) -> str:
    """The text between the markers of ``name`` in ``path``, without the surrounding newlines."""
    p = Path(path)
    return _split(p, p.read_text(encoding="utf-8"), name)[1].strip("\n")


def update_between_markers(path: str | Path, name: str, body: str) -> bool:
    """Write ``body`` between the markers of ``name`` in ``path``; True when the file changed.

    Raises:
        DocMarkersNotFound: a marker is missing, repeated or out of order (nothing written).
    """
    start, end = markers(name)
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    head, _, tail = _split(p, text, name)
    new = f"{head}{start}\n{body.strip(chr(10))}\n{end}{tail}"
    if new == text:
        return False
    atomic_write(p, new)
    return True
