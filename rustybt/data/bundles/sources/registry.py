"""The source registry: named factories of ingest functions, reachable from ``rustybt ingest``.

A *source* is a factory ``factory(**options) -> ingest function``; ``rustybt ingest NAME
--source SRC [--path P] [--calendar C] [--option KEY=VALUE ...]`` calls SRC's factory with the
options given (typed flags with their types, ``--option`` values as strings) and registers the
returned function as bundle NAME. The built-in sources (``synthetic``, ``csvdir``,
``dataframe``) register here like any other. Users add theirs, as with zipline's
``extension.py``:

- in Python: ``register_source("mine", factory)``, or ``@register_source("mine")``;
- in an extension file run by the CLI before its command: ``$RUSTYBT_ROOT/extension.py``
  (when it exists) and every ``rustybt -e FILE`` (:func:`load_extension`);
- in an installed package: an entry point in the ``rustybt.sources`` group, its name the
  source name, its object the factory (imported only when that source is used).

Invariants: names are unique (registering a name again replaces it, so an extension can
override a built-in); options are checked against the factory's signature before it is called,
so a wrong option is one :class:`SourceOptionError` naming the source and the option.
"""

from __future__ import annotations

import inspect
import runpy
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar, overload

from rustybt.errors import ExtensionError, SourceNotFound, SourceOptionError

__all__ = [
    "ENTRY_POINT_GROUP",
    "Source",
    "SourceFactory",
    "get_source",
    "load_extension",
    "make_ingest",
    "option_names",
    "register_source",
    "registered_sources",
    "unregister_source",
]

ENTRY_POINT_GROUP = "rustybt.sources"
SourceFactory = Callable[..., Callable[..., None]]
"""``factory(**options)`` returning an ingest function ``fn(writer)``."""
_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Source:
    """A registered source.

    Attributes:
        name: The name ``--source`` takes.
        factory: ``factory(**options) -> fn(writer)``; None until an entry point is loaded.
        description: One line shown when sources are listed.
        origin: ``built-in``, the extension file, or ``entry point <value>``.
    """

    name: str
    factory: SourceFactory | None
    description: str
    origin: str
    entry_point: metadata.EntryPoint | None = None

    def load(self) -> SourceFactory:
        """The factory (importing an entry point's module on first use)."""
        if self.factory is not None:
            return self.factory
        assert self.entry_point is not None
        try:
            factory = self.entry_point.load()
        except Exception as exc:
            raise ExtensionError(self.origin, f"{type(exc).__name__}: {exc}") from exc
        if not callable(factory):
            raise ExtensionError(self.origin, f"{factory!r} is not callable")
        _SOURCES[self.name] = Source(self.name, factory, self.description, self.origin)
        return factory


_SOURCES: dict[str, Source] = {}
_origin: list[str] = []  # the extension file being loaded, if any
_entry_points_loaded = False


def _describe(factory: Callable[..., Any]) -> str:
    doc = inspect.getdoc(factory) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


@overload
def register_source(
    name: str, factory: None = None, *, description: str | None = None
) -> Callable[[_F], _F]: ...


@overload
def register_source(name: str, factory: _F, *, description: str | None = None) -> _F: ...


def register_source(name: str, factory: _F | None = None, *, description: str | None = None) -> Any:
    """Register a source factory under ``name`` (usable as a decorator).

    Args:
        name: The name ``rustybt ingest --source`` takes.
        factory: ``factory(**options)`` returning an ingest function ``fn(writer)``.
        description: One line for listings (default: the factory's first docstring line).
    """

    def deco(fn: _F) -> _F:
        if not callable(fn):
            raise TypeError(f"source {name!r}: factory {fn!r} is not callable")
        module = str(getattr(fn, "__module__", "") or "")
        builtin = module.startswith("rustybt.")
        origin = _origin[-1] if _origin else ("built-in" if builtin else module or "python")
        _SOURCES[name] = Source(name, fn, description or _describe(fn), origin)
        return fn

    return deco if factory is None else deco(factory)


def unregister_source(name: str) -> None:
    """Forget a source."""
    _load_entry_points()
    if name not in _SOURCES:
        raise SourceNotFound(name, list(_SOURCES))
    del _SOURCES[name]


def _load_entry_points() -> None:
    """Add the ``rustybt.sources`` entry points (not imported yet) once per process."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in _SOURCES:
            desc = f"from {ep.dist.name if ep.dist else ep.value}"
            _SOURCES[ep.name] = Source(ep.name, None, desc, f"entry point {ep.value}", ep)


def registered_sources() -> dict[str, Source]:
    """Every source by name (sorted): built-ins, registered ones and entry points."""
    _load_entry_points()
    return {k: _SOURCES[k] for k in sorted(_SOURCES)}


def get_source(name: str) -> Source:
    """The source registered as ``name``.

    Raises:
        SourceNotFound: No such source; the message lists the available ones.
    """
    _load_entry_points()
    try:
        return _SOURCES[name]
    except KeyError:
        raise SourceNotFound(name, list(_SOURCES)) from None


def option_names(factory: Callable[..., Any]) -> frozenset[str] | None:
    """The keyword options a factory takes; None when it takes any (``**kwargs``)."""
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return None
    params = sig.parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return frozenset(p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD))


def _check_options(name: str, factory: SourceFactory, options: dict[str, Any]) -> None:
    named = option_names(factory)
    if named is None:
        return
    unknown = sorted(set(options) - named)
    if unknown:
        raise SourceOptionError(
            f"source {name!r} takes no option {unknown[0]!r}; its options: "
            f"{', '.join(sorted(named)) or '(none)'}",
            source=name,
            option=unknown[0],
        )
    params = inspect.signature(factory).parameters.values()
    missing = [
        p.name
        for p in params
        if p.default is p.empty
        and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.name not in options
    ]
    if missing:
        raise SourceOptionError(
            f"source {name!r} needs option {missing[0]!r}",
            source=name,
            option=missing[0],
            missing=True,
        )


def make_ingest(name: str, options: dict[str, Any]) -> Callable[..., None]:
    """Call source ``name``'s factory with ``options``; return the ingest function.

    Raises:
        SourceNotFound: No such source.
        SourceOptionError: An option the factory does not take, or a required one missing.
    """
    factory = get_source(name).load()
    _check_options(name, factory, options)
    fn = factory(**options)
    if not callable(fn):
        raise SourceOptionError(f"source {name!r} returned {fn!r}, not an ingest function")
    return fn


def load_extension(path: Path | str) -> None:
    """Run a Python extension file, as the CLI does with ``extension.py`` and ``-e FILE``.

    The file typically calls :func:`register_source` and :func:`rustybt.register`. Sources it
    registers record the file as their origin.

    Raises:
        ExtensionError: The file is missing or raised; the message names the file.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise ExtensionError(path, "no such file")
    _origin.append(str(path))
    try:
        runpy.run_path(str(path), run_name="rustybt_extension")
    except Exception as exc:
        raise ExtensionError(path, f"{type(exc).__name__}: {exc}") from exc
    finally:
        _origin.pop()
