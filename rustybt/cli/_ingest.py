"""``rustybt ingest``: run a registered bundle, or a registered source, into a new version.

``rustybt ingest NAME --source SRC [options]`` builds the ingest function with SRC's factory
(:mod:`rustybt.data.bundles.sources.registry`) from the options given: the typed flags below
and ``--option KEY=VALUE`` (a string). ``--calendar`` is also the calendar NAME is registered
with. The options are recorded in the manifest (``source.cli``), so a later ``rustybt ingest
NAME`` without ``--source`` repeats them. Without either, NAME must be registered in Python
(e.g. by ``extension.py``). zipline's spelling ``rustybt ingest -b NAME`` works too.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import shlex
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rustybt.calendars import unknown_calendar
from rustybt.data.bundles import Manifest, bundle_root, ingest, register, registered
from rustybt.data.bundles.inventory import version_dirs
from rustybt.data.bundles.registry import current_version_dir
from rustybt.data.bundles.sources import get_source, make_ingest, registered_sources
from rustybt.data.bundles.sources.registry import option_names
from rustybt.data.bundles.sources.synthetic import MAX_YEARS
from rustybt.errors import (
    BundleError,
    BundleNotFound,
    ExtensionError,
    IngestWarning,
    InvalidBundleName,
    InvalidSourceOption,
    SourceNotFound,
    SourceOptionError,
)

__all__ = ["add_commands", "format_bytes"]

# typed flags: option name -> (argparse kwargs, help)
_FLAGS: dict[str, dict[str, Any]] = {
    "path": {"help": "csvdir: directory holding daily/ and/or minute/"},
    "assets": {"type": int, "help": "synthetic: number of assets, >= 1 (10)"},
    "years": {
        "type": float,
        "help": f"synthetic: years of sessions, more than 0 and at most {MAX_YEARS} (2.0)",
    },
    "minute": {"action": "store_true", "default": None, "help": "synthetic: minute bars too"},
    "minute_assets": {
        "type": int,
        "help": "synthetic: assets with minute bars, 1 to --assets, with --minute (all)",
    },
    "seed": {"type": int, "help": "synthetic: seed, >= 0 (0)"},
    "end_session": {
        "metavar": "YYYY-MM-DD",
        "help": "synthetic: last session (default 2024-12-31); a day that is not a session "
        "(weekend, holiday) ends the data at the session before it",
    },
    "calendar": {"help": "exchange-calendars name (default XNYS)"},
}


def format_bytes(n: int) -> str:
    """Human-readable size (binary units)."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"  # pragma: no cover - loop always returns


def _flag(option: str) -> str:
    return "--" + option.replace("_", "-")


def _spelling(option: str, value: object) -> str:
    """An option and its value as they are written on the command line."""
    if option not in _FLAGS:
        return f"--option {shlex.quote(f'{option}={value}')}"
    flag = _flag(option)
    if isinstance(value, bool):
        return flag if value else f"no {flag}"
    if value is None:
        return f"{flag} (default)"
    shown = repr(value) if isinstance(value, float) else str(value)
    return f"{flag} {shlex.quote(shown.removesuffix('.0'))}"


def add_commands(sub: Any, bundles_sub: Any) -> None:
    """Register ``rustybt ingest``."""
    _ = bundles_sub
    p = sub.add_parser(
        "ingest",
        help="ingest a bundle (new version, switched atomically)",
        description="Ingest NAME from a source into a new version; the previous version stays "
        "current until the new one is complete, and identical content reuses the existing "
        "version. Without --source, re-ingest with the source recorded by the last CLI ingest "
        "of NAME, or run the ingest function registered as NAME (e.g. by extension.py). "
        "'rustybt bundles sources' lists the sources.",
    )
    p.add_argument("name", nargs="?", default=None, help="bundle name")
    p.add_argument("-b", "--bundle", default=None, help="bundle name (zipline's spelling)")
    p.add_argument("--source", help="where the data comes from (see 'rustybt bundles sources')")
    for option, kwargs in _FLAGS.items():
        p.add_argument(_flag(option), dest=option, **kwargs)
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any option of the source, as a string (repeatable)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=_ingest)


class _UsageError(Exception):
    """Bad combination of command-line options."""


@contextmanager
def _report_warnings() -> Iterator[list[str]]:
    seen: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IngestWarning)
        yield seen
    for w in caught:
        if issubclass(w.category, IngestWarning):
            seen.append(str(w.message))
            print(f"warning: {w.message}", file=sys.stderr)


def _bundle_name(args: argparse.Namespace) -> str:
    if args.name and args.bundle and args.name != args.bundle:
        raise _UsageError(f"two bundle names: {args.name!r} and -b {args.bundle!r}")
    name = args.name or args.bundle
    if not name:
        raise _UsageError("which bundle? give NAME (or -b NAME)")
    return str(name)


def _absolute(value: Any) -> Any:
    """An existing relative path as an absolute one; anything else unchanged.

    Options are recorded in the manifest and reused by a later ``rustybt ingest NAME`` from
    another directory: a relative ``--path data`` must keep naming the same directory.
    """
    if isinstance(value, str) and value and not os.path.isabs(value):
        path = Path(value).expanduser()
        if path.exists():
            return str(path.resolve())
    return value


def _given_options(args: argparse.Namespace) -> dict[str, Any]:
    options = {k: getattr(args, k) for k in _FLAGS if getattr(args, k) is not None}
    for item in args.option:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise _UsageError(f"--option {item!r}: expected KEY=VALUE")
        options[key.strip().replace("-", "_")] = value
    return {k: _absolute(v) for k, v in options.items()}


def _recorded_params(name: str, root: str | None) -> dict[str, Any] | None:
    try:
        manifest = Manifest.read(current_version_dir(name, root))
    except (BundleNotFound, FileNotFoundError):
        return None
    params = manifest.source.get("cli")
    return dict(params) if isinstance(params, dict) else None


def _params(args: argparse.Namespace, name: str) -> dict[str, Any] | None:
    options = _given_options(args)
    if args.source is not None:
        return {"source": args.source, **options}
    if options:
        first = next(iter(options))
        shown = _flag(first) if first in _FLAGS else f"--option {first}=..."
        raise _UsageError(f"{shown} needs --source")
    return _recorded_params(name, args.root)


def _register_from(name: str, params: dict[str, Any]) -> None:
    source = str(params["source"])
    options = {k: v for k, v in params.items() if k != "source" and v is not None}
    calendar = options.get("calendar")
    problem = None if calendar is None else unknown_calendar(calendar)
    if problem is not None:
        raise _UsageError(f"{_spelling('calendar', calendar)}: {problem}")
    takes = option_names(get_source(source).load())
    if calendar is not None and takes is not None and "calendar" not in takes:
        del options["calendar"]  # the registration's calendar only
    try:
        fn = make_ingest(source, options)
    except SourceOptionError as err:
        if err.missing and err.option is not None:
            flag = _flag(err.option) if err.option in _FLAGS else f"--option {err.option}=..."
            raise _UsageError(f"--source {source} needs {flag}") from err
        raise
    register(name, fn, calendar_name=calendar)


def _published(name: str, root: str | None) -> tuple[list[str], str | None]:
    """The version directories of bundle ``name`` and the one ``CURRENT`` names."""
    try:
        current: str | None = current_version_dir(name, root).name
    except (BundleNotFound, FileNotFoundError):
        current = None
    return [d.name for d in version_dirs(bundle_root(root) / "bundles" / name)], current


def _left_behind(name: str, root: str | None, before: tuple[list[str], str | None]) -> str:
    """What an interrupted ingest left: nothing (the usual case) or what it published."""
    after = _published(name, root)
    if after == before:
        return "nothing was written"
    new = sorted(set(after[0]) - set(before[0]))
    return f"it was publishing: version(s) {', '.join(new) or '(none new)'}, current {after[1]}"


def _ingest(args: argparse.Namespace) -> int:
    try:
        name = _bundle_name(args)
        params = _params(args, name)
        if params is not None:
            _register_from(name, params)
    except _UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except InvalidSourceOption as err:
        print(f"error: {err.spelled(_spelling)}", file=sys.stderr)
        return 2
    except (SourceNotFound, SourceOptionError, ExtensionError, InvalidBundleName) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if params is None and name not in registered():
        print(
            f"error: {name!r} is not registered and was never ingested with --source; "
            f"use --source {{{','.join(registered_sources())}}}",
            file=sys.stderr,
        )
        return 2
    started = _dt.datetime.now(_dt.UTC).isoformat()
    before = _published(name, args.root)
    try:
        with _report_warnings():
            bundle = ingest(
                name,
                root=args.root,
                show_progress=not args.no_progress,
                source_extra=None if params is None else {"cli": params},
            )
    except InvalidSourceOption as err:  # found while generating (e.g. no session in range)
        print(f"error: {err.spelled(_spelling)}", file=sys.stderr)
        return 2
    except BundleError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"rustybt ingest: interrupted; {_left_behind(name, args.root, before)}", file=sys.stderr
        )
        return 130
    m = bundle.manifest
    print(
        f"ingested {name}: version {m.version[:12]} ({bundle.path.name}), "
        f"{m.asset_count} assets, {'+'.join(m.frequencies) or 'no bars'}, "
        f"{m.first_session}..{m.last_session}, {format_bytes(m.total_bytes)}"
    )
    if m.created_at < started:
        print(f"  same content as the existing version {bundle.path.name}: reused, no copy made")
    return 0
