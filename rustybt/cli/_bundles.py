"""``rustybt ingest`` and ``rustybt bundles [list|clean|verify]``."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rustybt.data.bundles import (
    Manifest,
    bundle_root,
    bundles,
    clean,
    ingest,
    load,
    register,
    registered,
)
from rustybt.data.bundles.registry import current_version_dir
from rustybt.data.bundles.sources import csvdir_ingest, synthetic_ingest
from rustybt.errors import BundleError, BundleNotFound, IngestWarning

__all__ = ["add_commands", "format_bytes"]

SOURCES = ("csvdir", "synthetic")
_DEFAULTS: dict[str, Any] = {"assets": 10, "years": 2.0, "minute": False, "seed": 0}
_SOURCE_OPTIONS = (
    "path",
    "assets",
    "years",
    "minute",
    "minute_assets",
    "seed",
    "end_session",
    "calendar",
)


def format_bytes(n: int) -> str:
    """Human-readable size (binary units)."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"  # pragma: no cover - loop always returns


def add_commands(sub: Any, bundles_sub: Any) -> None:
    """Register ``ingest`` and the ``bundles`` actions (``rustybt bundles`` alone lists)."""
    p = sub.add_parser(
        "ingest",
        help="ingest a bundle (new version, switched atomically)",
        description="Ingest NAME from a source into a new version; the previous version stays "
        "current until the new one is complete. Without --source, re-ingest with the source "
        "recorded by the last CLI ingest of NAME.",
    )
    p.add_argument("name", help="bundle name")
    p.add_argument("--source", choices=SOURCES, help="where the data comes from")
    p.add_argument("--path", help="csvdir: directory holding daily/ and/or minute/")
    p.add_argument(
        "--assets", type=int, help=f"synthetic: number of assets ({_DEFAULTS['assets']})"
    )
    p.add_argument(
        "--years", type=float, help=f"synthetic: years of sessions ({_DEFAULTS['years']})"
    )
    p.add_argument("--minute", action="store_true", default=None, help="synthetic: minute bars too")
    p.add_argument("--minute-assets", type=int, help="synthetic: assets with minute bars (all)")
    p.add_argument("--seed", type=int, help="synthetic: seed (0)")
    p.add_argument("--end-session", help="synthetic: last session (default 2024-12-31)")
    p.add_argument("--calendar", help="exchange-calendars name (default XNYS)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=_ingest)

    lp = bundles_sub.add_parser(
        "list", help="names, versions, sizes and date ranges (the default action)"
    )
    lp.set_defaults(func=_list)
    cp = bundles_sub.add_parser("clean", help="remove old versions of a bundle")
    cp.add_argument("name", help="bundle name")
    cp.add_argument("--keep", type=int, default=1, help="newest versions to keep (1)")
    cp.set_defaults(func=_clean)
    vp = bundles_sub.add_parser("verify", help="re-hash a bundle version against its manifest")
    vp.add_argument("name", help="bundle name")
    vp.add_argument("--version", default=None, help="version dir or hash prefix (current)")
    vp.set_defaults(func=_verify)
    bundles_parser = sub.choices.get("bundles")
    if bundles_parser is not None:
        bundles_parser.set_defaults(func=_list)


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


def _cli_params(args: argparse.Namespace) -> dict[str, Any]:
    if args.source == "csvdir":
        if not args.path:
            raise _UsageError("--source csvdir needs --path DIR")
        return {"source": "csvdir", "path": args.path, "calendar": args.calendar}
    params: dict[str, Any] = {"source": "synthetic"}
    for key in ("assets", "years", "minute", "minute_assets", "seed", "end_session", "calendar"):
        value = getattr(args, key)
        params[key] = _DEFAULTS.get(key) if value is None else value
    return params


class _UsageError(Exception):
    """Bad combination of command-line options."""


def _recorded_params(name: str, root: str | None) -> dict[str, Any] | None:
    try:
        manifest = Manifest.read(current_version_dir(name, root))
    except (BundleNotFound, FileNotFoundError):
        return None
    params = manifest.source.get("cli")
    return dict(params) if isinstance(params, dict) else None


def _ingest_fn(params: dict[str, Any]) -> Callable[..., None]:
    if params["source"] == "csvdir":
        return csvdir_ingest(params["path"], calendar_name=params.get("calendar"))
    return synthetic_ingest(
        params["assets"],
        params["years"],
        minute=params["minute"],
        minute_assets=params["minute_assets"],
        seed=params["seed"],
        end_session=params["end_session"],
        calendar_name=params.get("calendar") or "XNYS",
    )


def _ingest(args: argparse.Namespace) -> int:
    name = args.name
    try:
        if args.source is not None:
            params: dict[str, Any] | None = _cli_params(args)
        else:
            given = [o for o in _SOURCE_OPTIONS if getattr(args, o) is not None]
            if given:
                raise _UsageError(f"--{given[0].replace('_', '-')} needs --source")
            params = _recorded_params(name, args.root)
    except _UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if params is not None:
        fn = _ingest_fn(params)
        register(name, fn, calendar_name=params.get("calendar"))
    elif name not in registered():
        print(
            f"error: {name!r} is not registered and was never ingested with --source; "
            f"use --source {{{','.join(SOURCES)}}}",
            file=sys.stderr,
        )
        return 2
    try:
        with _report_warnings():
            bundle = ingest(
                name,
                root=args.root,
                show_progress=not args.no_progress,
                source_extra=None if params is None else {"cli": params},
            )
    except BundleError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    m = bundle.manifest
    print(
        f"ingested {name}: version {m.version[:12]} ({bundle.path.name}), "
        f"{m.asset_count} assets, {'+'.join(m.frequencies) or 'no bars'}, "
        f"{m.first_session}..{m.last_session}, {format_bytes(m.total_bytes)}"
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    infos = [b for b in bundles(args.root) if b.versions]
    if not infos:
        print(f"no bundles under {bundle_root(args.root)}")
        return 0
    header = ("NAME", "", "VERSION", "DIRECTORY", "FREQ", "ASSETS", "SESSIONS", "SIZE")
    rows = [header]
    for info in infos:
        for v in info.versions:
            rows.append(
                (
                    info.name,
                    "*" if v.current else "",
                    v.version[:12],
                    v.directory,
                    "+".join(v.frequencies) or "-",
                    str(v.asset_count),
                    f"{v.first_session}..{v.last_session}",
                    format_bytes(v.bytes),
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    print("(* = current version)")
    return 0


def _clean(args: argparse.Namespace) -> int:
    try:
        removed = clean(args.name, keep=args.keep, root=args.root)
    except (BundleError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if removed:
        print(f"removed {len(removed)} version(s) of {args.name}: {', '.join(removed)}")
    else:
        print(f"nothing to remove for {args.name}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    try:
        bundle = load(args.name, args.version, root=args.root)
        bundle.verify()
    except BundleError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"ok: {args.name} {bundle.version[:12]} ({len(bundle.manifest.files)} files verified)")
    return 0
