"""The house's import rules: no cycles, no upward imports, and the core never imports zipline.

Layers, lowest first (architecture.md): errors/_fs/calendars/assets ← data.bundles ← data.store
← data.portal; data.sql reads bundles only; compat, cli and testing sit on top. The walk reads
every module's imports (module level and inside functions) with ``ast``.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import rustybt

PKG = Path(rustybt.__file__).resolve().parent


def _python(code: str) -> str:
    """What ``code`` prints in a fresh interpreter (what it imports is its own)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout

#: Package prefixes a module under ``data/`` must never import (higher layers).
ABOVE_DATA = ("rustybt.compat", "rustybt.cli", "rustybt.engine", "rustybt.optimization",
              "rustybt.benchmarking", "rustybt.testing")
#: Documented lazy aliases that reach up on purpose (zipline's name kept where users look).
ALLOWED_UPWARD = {("rustybt.data", "rustybt.compat.zipline.data_portal"),
                  ("rustybt", "rustybt.compat.zipline.data_portal")}
#: (lower, higher): ``lower`` must not import ``higher``.
LAYERS = [
    ("rustybt.data.bundles", "rustybt.data.store"),
    ("rustybt.data.bundles", "rustybt.data.portal"),
    ("rustybt.data.bundles", "rustybt.data.sql"),
    ("rustybt.data.store", "rustybt.data.portal"),
    ("rustybt.data.store", "rustybt.data.sql"),
    ("rustybt.data.sql", "rustybt.data.portal"),
    ("rustybt.data.sql", "rustybt.data.store"),
    ("rustybt.errors", "rustybt.data"),
    ("rustybt.assets", "rustybt.data"),
    # the benchmark framework measures the layers below it; none of them imports it
    ("rustybt.engine", "rustybt.benchmarking"),
    ("rustybt.optimization", "rustybt.benchmarking"),
    ("rustybt.compat", "rustybt.benchmarking"),
    ("rustybt.testing", "rustybt.benchmarking"),
]


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports() -> dict[str, set[str]]:
    """Module → the rustybt modules it imports (anywhere in its body)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PKG.rglob("*.py")):
        name = _module_name(path)
        is_pkg = path.name == "__init__.py"
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("rustybt"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")[: len(name.split(".")) - node.level + is_pkg]
                    mod = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    mod = node.module or ""
                if mod.startswith("rustybt"):
                    found.add(mod)
        graph[name] = found
    return graph


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_the_walk_sees_the_package() -> None:
    graph = _imports()
    assert "rustybt.data.portal.portal" in graph
    assert "rustybt.data.store.mapped" in graph["rustybt.data.portal.portal"]


def test_no_upward_imports() -> None:
    bad = []
    for module, targets in _imports().items():
        for target in targets:
            if (module, target) in ALLOWED_UPWARD:
                continue
            if _under(module, "rustybt.data") and any(_under(target, p) for p in ABOVE_DATA):
                bad.append((module, target))
            for low, high in LAYERS:
                if _under(module, low) and _under(target, high):
                    bad.append((module, target))
    assert bad == []


def test_no_import_cycles_between_packages() -> None:
    """Packages (one level below rustybt.data, else top level) form a DAG."""

    def unit(module: str) -> str:
        parts = module.split(".")
        return ".".join(parts[:3] if parts[:2] == ["rustybt", "data"] else parts[:2])

    edges: dict[str, set[str]] = {}
    for module, targets in _imports().items():
        for target in targets:
            if (module, target) in ALLOWED_UPWARD:
                continue
            a, b = unit(module), unit(target)
            if a != b and not _under(a, b) and not _under(b, a):
                edges.setdefault(a, set()).add(b)
    seen: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if seen.get(node) == 2:
            return
        assert seen.get(node) != 1, f"import cycle: {' -> '.join([*path, node])}"
        seen[node] = 1
        for nxt in sorted(edges.get(node, ())):
            visit(nxt, [*path, node])
        seen[node] = 2

    for node in sorted(edges):
        visit(node, [])


def test_core_packages_do_not_import_zipline() -> None:
    code = (
        "import sys; import rustybt, rustybt.data, rustybt.data.store, rustybt.data.portal, "
        "rustybt.data.sql, rustybt.cli; print('zipline' in sys.modules)"
    )
    out = _python(code)
    assert out.strip() == "False"


def test_building_the_cli_parser_loads_no_heavy_package() -> None:
    # every `rustybt` command builds the whole parser: scipy, matplotlib and the benchmark
    # framework are loaded by the commands that use them, not by `rustybt --help`
    code = (
        "import sys; from rustybt.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('scipy', 'matplotlib', 'rustybt.benchmarking', 'optuna', "
        "'ray', 'empyrical') if m in sys.modules))"
    )
    out = _python(code)
    assert out.strip() == "[]"


def test_bench_cli_default_decisions_dir_is_the_frameworks() -> None:
    from rustybt.benchmarking.decisions import DEFAULT_DECISIONS_DIR
    from rustybt.cli import _bench

    assert Path(_bench.DEFAULT_DECISIONS_DIR) == DEFAULT_DECISIONS_DIR


def test_data_portal_alias_is_lazy() -> None:
    import rustybt.compat.zipline as z
    import rustybt.data

    assert rustybt.data.DataPortal is z.DataPortal
    assert rustybt.DataPortal is z.DataPortal
    assert "DataPortal" in dir(rustybt.data)
    try:
        rustybt.data.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("unknown attribute did not raise")


def test_indicators_is_a_leaf() -> None:
    """rustybt.indicators imports only itself and rustybt.errors; nothing imports it back."""
    graph = _imports()
    for module, targets in graph.items():
        if _under(module, "rustybt.indicators"):
            assert {t for t in targets if not _under(t, "rustybt.indicators")} <= {
                "rustybt.errors"
            }, module
        else:
            assert not any(_under(t, "rustybt.indicators") for t in targets), module
    third_party = set()
    for path in (PKG / "indicators").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                third_party.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                third_party.add(node.module.split(".")[0])
    allowed_stdlib = {"__future__", "collections", "decimal", "math", "operator", "typing"}
    assert third_party - allowed_stdlib <= {"numpy", "polars", "scipy", "rustybt"}


def test_the_benchmark_scripts_harness_loads_no_heavy_package() -> None:
    # every benchmark script (and its worker processes) imports rustybt.benchmarking.tables:
    # the package is lazy, so that costs neither scipy nor matplotlib
    code = (
        "import sys; import rustybt.benchmarking.tables; "
        "print(sorted(m for m in ('scipy', 'matplotlib', 'rustybt.benchmarking.statistics') "
        "if m in sys.modules))"
    )
    out = _python(code)
    assert out.strip() == "[]"


@pytest.mark.parametrize("package", ["rustybt.benchmarking", "rustybt.compat.zipline"])
def test_every_lazy_name_resolves_to_its_module(package: str) -> None:
    pkg = importlib.import_module(package)
    module_of = {n: m for m, names in pkg._NAMES_BY_MODULE.items() for n in names}
    assert sorted(module_of) == sorted(pkg.__all__)
    for name in pkg.__all__:
        value = getattr(pkg, name)
        assert value is getattr(importlib.import_module(f"{package}.{module_of[name]}"), name)
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        pkg.no_such_name  # noqa: B018


def test_the_zipline_package_is_lazy() -> None:
    # `rustybt bundles shim` lists conversions through rustybt.compat.zipline.conversion:
    # neither that nor the package itself imports zipline (7.8 s -> 1.6 s for the command)
    code = (
        "import sys; import rustybt.compat.zipline as z; "
        "from rustybt.compat.zipline.conversion import shim_conversions; "
        "print('zipline' in sys.modules, 'DataPortal' in dir(z))"
    )
    out = _python(code)
    assert out.split() == ["False", "True"]


def test_lazy_exports_imports_on_first_use_and_refuses_inconsistent_names() -> None:
    import json.decoder

    from rustybt._lazy import lazy_exports

    # a real package and submodule stand in: json and json.decoder
    getattr_, dir_ = lazy_exports("json", {"decoder": ("JSONDecoder",)}, ["JSONDecoder"])
    assert getattr_("JSONDecoder") is json.decoder.JSONDecoder
    assert "JSONDecoder" in dir_()
    with pytest.raises(AttributeError, match="module 'json' has no attribute 'nope'"):
        getattr_("nope")
    with pytest.raises(ValueError, match=r"__all__ and the lazy names differ: \['B'\]"):
        lazy_exports("json", {"decoder": ("A",)}, ["A", "B"])
    with pytest.raises(ValueError, match="'A' is exported by both 'x' and 'y'"):
        lazy_exports("json", {"x": ("A",), "y": ("A",)}, ["A"])
