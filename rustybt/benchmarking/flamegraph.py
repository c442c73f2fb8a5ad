"""Flame graphs from cProfile statistics: a call tree rebuilt from ``pstats``, drawn as an SVG.

Design and invariants:
- cProfile records, per function, its own time, its cumulative time and, per caller, the
  part of that cumulative time spent under calls from that caller (one edge, not a whole
  call path). :func:`call_tree` rebuilds paths from these edges: a node for function ``f``
  holding time ``T`` gives each callee ``c`` the time ``edge_ct(f -> c) * T / ct(f)``, i.e.
  ``f``'s calls from this path are assumed to spend their time in their callees in the same
  proportions as all of ``f``'s calls do. Exact for functions called from a single place;
  an approximation (gprof's) for functions reached from several paths whose callees differ by
  path. The table of :mod:`~rustybt.benchmarking.profiling` (straight from ``pstats``) is
  exact; use it for figures and the graph for the shape.
- A node's children never add up to more than the node (scaled down proportionally when
  cProfile's own bookkeeping of recursion would make them); what is left is the node's own
  time in this path. A callee already on the path (recursion) is not expanded again: its time
  stays in the ancestor's frame.
- The root is ``all``: the functions with no recorded caller (the profiled call; cProfile's
  own ``disable`` is left out), its width their summed cumulative time. Frames under
  ``min_fraction`` of the root are dropped (with their subtrees), so the tree stays bounded.
- :func:`render_svg` draws a standalone SVG (no script, no external resource): the root at the
  bottom, each frame a ``rect`` whose width is proportional to its time, with a ``title``
  tooltip (function, location, seconds, share of the total) and a label when it fits; the
  colour is the frame's module family (:func:`module_family`), listed in a legend.
"""

from __future__ import annotations

import hashlib
import pstats
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

__all__ = [
    "FlameNode",
    "call_tree",
    "function_label",
    "module_family",
    "render_svg",
    "write_flamegraph",
]

#: A cProfile function key: ``(filename, line, name)``; builtins have ``('~', 0, ...)``.
FuncKey = tuple[str, int, str]

#: cProfile's entry for its own ``disable`` (not part of the profiled call).
PROFILER_DISABLE = "<method 'disable' of '_lsprof.Profiler' objects>"
_RUSTYBT_DIR = str(Path(__file__).resolve().parents[1])
_STDLIB_DIR = str(Path(sysconfig.get_paths()["stdlib"]).resolve())
#: Fixed colours of the common families (others get a colour from their name's hash).
_PALETTE = {
    "builtins": "#b0b0b0",
    "stdlib": "#d9c27a",
    "user code": "#e8743b",
    "pandas": "#6a8fd9",
    "numpy": "#55b8c9",
    "pyarrow": "#9c7ad9",
    "duckdb": "#d9d24a",
    "other": "#c9a0a0",
}
_ROW = 17  # px per frame row
_PAD = 10  # px left and right
_CHAR_PX = 6.6  # px per character of the 11px label font
_HEADER = 48  # px for the title and one line of legend
_LEGEND_ROW = 14  # px per further line of legend


@dataclass
class FlameNode:
    """One frame of the graph: a function on one call path and the time spent under it."""

    key: FuncKey | None  #: cProfile's key; ``None`` for the ``all`` root
    label: str
    family: str
    time: float  #: seconds under this frame on this path (own time + children)
    children: list[FlameNode] = field(default_factory=list)

    def depth(self) -> int:
        """Rows of the subtree rooted here (1 for a leaf)."""
        return 1 + max((child.depth() for child in self.children), default=0)


def function_label(key: FuncKey) -> str:
    """``name (file.py:line)`` for Python functions, cProfile's own text for builtins."""
    filename, line, name = key
    if filename == "~" and line == 0:
        return name
    return f"{name} ({Path(filename).name}:{line})"


def module_family(filename: str) -> str:
    """The colour family of a file: ``rustybt.<subpackage>``, a third-party package's name,
    ``stdlib``, ``builtins`` or ``user code`` (anything else, e.g. the algorithm file)."""
    if filename == "~" or filename.startswith("<"):
        return "builtins" if filename == "~" else "stdlib"
    path = str(Path(filename).resolve()) if Path(filename).is_absolute() else filename
    if path.startswith(_RUSTYBT_DIR + "/"):
        parts = Path(path[len(_RUSTYBT_DIR) + 1 :]).parts
        return "rustybt" if len(parts) < 2 else f"rustybt.{parts[0]}"
    for marker in ("site-packages/", "dist-packages/"):
        if marker in path:
            top = path.split(marker, 1)[1].split("/", 1)[0]
            return top.removesuffix(".py").split(".")[0] or "other"
    if path.startswith(_STDLIB_DIR + "/"):
        return "stdlib"
    return "user code"


def _callees(raw: dict[FuncKey, Any]) -> dict[FuncKey, list[tuple[FuncKey, float]]]:
    """Caller -> [(callee, cumulative time of the callee under that caller)]."""
    out: dict[FuncKey, list[tuple[FuncKey, float]]] = {}
    for callee, (_cc, nc, _tt, ct, callers) in raw.items():
        for caller, edge in callers.items():
            if isinstance(edge, tuple):
                edge_ct = float(edge[3])
            else:  # the pure-Python profile module records call counts only
                edge_ct = float(ct) * edge / nc if nc else 0.0
            out.setdefault(caller, []).append((callee, edge_ct))
    return out


def call_tree(
    stats: pstats.Stats, *, min_fraction: float = 0.001, max_depth: int = 128
) -> FlameNode:
    """The ``all`` root of the call tree apportioned from ``stats`` (see the module notes).

    Args:
        stats: cProfile statistics.
        min_fraction: Frames narrower than this share of the root are dropped.
        max_depth: Frames deeper than this are dropped (their time stays in the parent).
    """
    raw: dict[FuncKey, Any] = stats.stats  # type: ignore[attr-defined]
    callees = _callees(raw)
    roots = [k for k, v in raw.items() if not v[4] and k[2] != PROFILER_DISABLE]
    root = FlameNode(None, "all", "all", sum(float(raw[k][3]) for k in roots))
    min_time = root.time * min_fraction

    def node(key: FuncKey, time: float) -> FlameNode:
        return FlameNode(key, function_label(key), module_family(key[0]), time)

    def expand(
        parent: FlameNode, edges: list[tuple[FuncKey, float]], path: set[FuncKey], depth: int
    ) -> None:
        edges = [(k, t) for k, t in edges if k not in path and t > 0]
        total = sum(t for _, t in edges)
        if total > parent.time:
            edges = [(k, t * parent.time / total) for k, t in edges]
        for key, time in sorted(edges, key=lambda e: (-e[1], function_label(e[0]))):
            if time < min_time or time <= 0:
                continue
            child = node(key, time)
            parent.children.append(child)
            if depth < max_depth:
                ct = float(raw[key][3])
                scale = time / ct if ct > 0 else 0.0
                below = [(k, t * scale) for k, t in callees.get(key, [])]
                expand(child, below, path | {key}, depth + 1)

    expand(root, [(k, float(raw[k][3])) for k in roots], set(), 1)
    return root


def _colour(family: str) -> str:
    if family in _PALETTE:
        return _PALETTE[family]
    if family.startswith("rustybt"):
        # reds and oranges for our own layers, one hue per subpackage
        hue = int(hashlib.sha1(family.encode()).hexdigest()[:4], 16) % 40
        return f"hsl({hue},75%,55%)"
    hue = 180 + int(hashlib.sha1(family.encode()).hexdigest()[:4], 16) % 120
    return f"hsl({hue},45%,65%)"


def _families(root: FlameNode) -> list[str]:
    seen: dict[str, None] = {}
    stack = list(root.children)
    while stack:
        n = stack.pop()
        seen[n.family] = None
        stack.extend(n.children)
    return sorted(seen)


def render_svg(root: FlameNode, *, title: str = "", width: int = 1200) -> str:
    """A standalone SVG flame graph of ``root`` (see the module notes)."""
    legend: list[tuple[float, int, str]] = []  # (x, line, family), wrapped to the width
    x, line = float(_PAD), 0
    for family in _families(root):
        step = 24 + _CHAR_PX * len(family)
        if x + step > width - _PAD and x > _PAD:
            x, line = float(_PAD), line + 1
        legend.append((x, line, family))
        x += step
    header = _HEADER + _LEGEND_ROW * line
    height = header + root.depth() * _ROW + _PAD
    scale = (width - 2 * _PAD) / root.time if root.time > 0 else 0.0
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="monospace" '
        'font-size="11">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fdfdf8"/>',
        f'<text x="{width / 2:.1f}" y="16" text-anchor="middle" font-size="14">'
        f"{escape(title or 'profile')} — {root.time:.3f} s</text>",
    ]
    for x, line, family in legend:
        y = 26 + _LEGEND_ROW * line
        out.append(
            f'<rect x="{x:.1f}" y="{y}" width="10" height="10" fill={quoteattr(_colour(family))}/>'
        )
        out.append(f'<text x="{x + 14:.1f}" y="{y + 9}">{escape(family)}</text>')

    def draw(n: FlameNode, left: float, level: int) -> None:
        w = n.time * scale
        y = height - _PAD - (level + 1) * _ROW
        share = 100 * n.time / root.time if root.time > 0 else 0.0
        where = "" if n.key is None or n.key[0] == "~" else f"\n{n.key[0]}:{n.key[1]}"
        tip = f"{n.label}{where}\n{n.time:.6f} s, {share:.2f}% of the total ({n.family})"
        fill = "#e0e0e0" if n.key is None else _colour(n.family)
        out.append(
            f"<g><title>{escape(tip)}</title>"
            f'<rect x="{left:.3f}" y="{y}" width="{w:.3f}" height="{_ROW - 1}" '
            f'fill={quoteattr(fill)} rx="2"/>'
        )
        chars = int((w - 6) / _CHAR_PX)
        if chars >= 3:
            text = n.label if len(n.label) <= chars else n.label[: chars - 2] + ".."
            out.append(f'<text x="{left + 3:.3f}" y="{y + _ROW - 5}">{escape(text)}</text>')
        out.append("</g>")
        child_left = left
        for child in n.children:
            draw(child, child_left, level + 1)
            child_left += child.time * scale

    draw(root, float(_PAD), 0)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_flamegraph(stats: pstats.Stats, path: str | Path, *, title: str = "") -> Path:
    """Render :func:`call_tree` of ``stats`` to ``path`` (SVG); returns the path."""
    target = Path(path)
    target.write_text(render_svg(call_tree(stats), title=title), encoding="utf-8")
    return target
