"""``rustybt bundles [list|clean|verify|shim|sources]`` and zipline's ``rustybt clean``.

``rustybt bundles`` lists every version with its Parquet size and the size of its derived
mapped store (``STORE``), plus a line on the zipline shim's conversions under the root when
there are any; ``rustybt bundles shim`` lists those and ``rustybt bundles clean --shim``
removes them.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rustybt.cli._ingest import format_bytes
from rustybt.cli._table import Column, print_table
from rustybt.data.bundles import bundle_root, bundles, clean, load
from rustybt.data.bundles.inventory import version_infos
from rustybt.data.bundles.registry import SHIM_DIR
from rustybt.data.bundles.sources import registered_sources
from rustybt.errors import BundleError

__all__ = ["add_commands"]


def add_commands(sub: Any, bundles_sub: Any) -> None:
    """Register the ``bundles`` actions (``rustybt bundles`` alone lists) and ``clean``."""
    lp = bundles_sub.add_parser(
        "list", help="names, versions, sizes and date ranges (the default action)"
    )
    lp.set_defaults(func=_list)
    cp = bundles_sub.add_parser(
        "clean",
        help="remove old versions of a bundle, or the shim's conversions",
        description="Remove old versions of bundle NAME (never the current one): keep the "
        "newest N, or remove those ingested before/after a time. With --shim, remove the "
        "zipline shim's conversions instead (all, or those whose key starts with KEY).",
    )
    cp.add_argument("name", nargs="?", default=None, help="bundle name")
    _clean_options(cp, keep_flags=("--keep", "--keep-last"))
    cp.add_argument(
        "--shim",
        nargs="?",
        const="",
        default=None,
        metavar="KEY",
        help="remove the shim's conversions (all, or the one whose key starts with KEY)",
    )
    cp.set_defaults(func=_clean)
    vp = bundles_sub.add_parser(
        "verify",
        help="re-hash a bundle version against its manifest, and its mapped store files",
        description="Re-hash every file of a bundle version against its manifest, then every "
        "built mapped store file against its checksums; a store file that fails is rebuilt "
        "(or, with --no-rebuild, reported and the exit status is 1).",
    )
    vp.add_argument("name", help="bundle name")
    vp.add_argument("--no-rebuild", dest="rebuild", action="store_false",
                    help="report corrupted store files instead of rebuilding them")
    vp.add_argument("--version", default=None, help="version dir or hash prefix (current)")
    vp.set_defaults(func=_verify)
    sp = bundles_sub.add_parser(
        "shim", help="list the zipline shim's conversions stored under the root, with sizes"
    )
    sp.set_defaults(func=_shim)
    src = bundles_sub.add_parser("sources", help="list the sources 'rustybt ingest --source' takes")
    src.set_defaults(func=_sources)
    bundles_parser = sub.choices.get("bundles")
    if bundles_parser is not None:
        bundles_parser.set_defaults(func=_list)

    zp = sub.add_parser(
        "clean",
        help="zipline's clean: remove old versions of bundle -b NAME",
        description="zipline's spelling of 'rustybt bundles clean': remove versions of bundle "
        "NAME (never the current one).",
    )
    zp.add_argument("-b", "--bundle", dest="name", required=True, help="bundle name")
    _clean_options(zp, keep_flags=("-k", "--keep-last", "--keep"))
    zp.set_defaults(func=_clean, shim=None)


def _clean_options(p: argparse.ArgumentParser, keep_flags: tuple[str, ...]) -> None:
    p.add_argument(
        *keep_flags, dest="keep", type=int, default=None, help="newest versions to keep (1)"
    )
    p.add_argument(
        "-e",
        "--before",
        default=None,
        metavar="TIME",
        help="remove versions ingested before TIME (e.g. 2024-06-01 or 2024-06-01T12:00; UTC)",
    )
    p.add_argument(
        "-a", "--after", default=None, metavar="TIME", help="remove versions ingested after TIME"
    )


def _shim_line(root: Any) -> str | None:
    base = bundle_root(root) / SHIM_DIR
    if not base.exists():
        return None
    found = [version_infos(d) for d in base.iterdir() if d.is_dir() and not d.name.startswith(".")]
    if not found:
        return None
    parquet = sum(v.bytes for vs in found for v in vs)
    store = sum(v.store_bytes for vs in found for v in vs)
    return (
        f"shim conversions: {len(found)} under {base} ({format_bytes(parquet)} Parquet, "
        f"{format_bytes(store)} store); 'rustybt bundles shim' lists them, "
        "'rustybt bundles clean --shim' removes them"
    )


def _list(args: argparse.Namespace) -> int:
    infos = [b for b in bundles(args.root) if b.versions]
    shim = _shim_line(args.root)
    if not infos:
        print(f"no bundles under {bundle_root(args.root)}")
        if shim:
            print(shim)
        return 0
    columns = [
        Column("NAME"),
        Column(""),
        Column("VERSION"),
        Column("DIRECTORY"),
        Column("FREQ"),
        Column("ASSETS", "right"),
        Column("SESSIONS"),
        Column("SIZE", "right"),
        Column("STORE", "right"),
    ]
    rows = [
        (
            info.name,
            "*" if v.current else "",
            v.version[:12],
            v.directory,
            "+".join(v.frequencies) or "-",
            str(v.asset_count),
            f"{v.first_session}..{v.last_session}" if v.error is None else "BROKEN",
            format_bytes(v.bytes),
            format_bytes(v.store_bytes) if v.store_bytes else "-",
        )
        for info in infos
        for v in info.versions
    ]
    print_table(columns, rows, sys.stdout)
    for info in infos:
        for v in info.versions:
            if v.error is not None:
                print(f"BROKEN {info.name} {v.directory}: {v.error}", file=sys.stderr)
    print("(* = current version; SIZE = Parquet files, STORE = derived mapped store)")
    if shim:
        print(shim)
    return 0


def _clean(args: argparse.Namespace) -> int:
    if args.shim is not None:
        if args.name or args.keep is not None or args.before or args.after:
            print(
                "error: --shim takes no bundle name, --keep, --before or --after", file=sys.stderr
            )
            return 2
        return _clean_shim(args)
    if not args.name:
        print("error: which bundle? give NAME (or --shim)", file=sys.stderr)
        return 2
    try:
        removed = clean(
            args.name, keep=args.keep, before=args.before, after=args.after, root=args.root
        )
    except (BundleError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if removed:
        print(f"removed {len(removed)} version(s) of {args.name}: {', '.join(removed)}")
    else:
        print(f"nothing to remove for {args.name}")
    return 0


def _clean_shim(args: argparse.Namespace) -> int:
    from rustybt.compat.zipline.conversion import clean_shim

    try:
        removed = clean_shim([args.shim] if args.shim else None, root=args.root)
    except BundleError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(
        f"removed {len(removed)} shim conversion(s)"
        + (f": {', '.join(removed)}" if removed else "")
    )
    return 0


def _shim(args: argparse.Namespace) -> int:
    from rustybt.compat.zipline.conversion import shim_conversions

    found = shim_conversions(args.root)
    if not found:
        print(f"no shim conversions under {bundle_root(args.root) / SHIM_DIR}")
        return 0
    columns = [
        Column("KEY"),
        Column("VERSION"),
        Column("FREQ"),
        Column("ASSETS", "right"),
        Column("SESSIONS"),
        Column("SIZE", "right"),
        Column("STORE", "right"),
        Column("CREATED"),
    ]
    rows = [
        (
            conv.key,
            v.version[:12],
            "+".join(v.frequencies) or "-",
            str(v.asset_count),
            f"{v.first_session}..{v.last_session}",
            format_bytes(v.bytes),
            format_bytes(v.store_bytes) if v.store_bytes else "-",
            v.created_at[:19],
        )
        for conv in found
        for v in conv.versions
    ]
    print_table(columns, rows, sys.stdout)
    total = sum(c.bytes + c.store_bytes for c in found)
    print(f"({len(found)} conversion(s), {format_bytes(total)} in all)")
    return 0


def _sources(args: argparse.Namespace) -> int:
    _ = args
    rows = [(s.name, s.origin, s.description) for s in registered_sources().values()]
    print_table([Column("SOURCE"), Column("FROM"), Column("DESCRIPTION")], rows, sys.stdout)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from rustybt.data.store.verify import verify_stores

    try:
        bundle = load(args.name, args.version, root=args.root)
        bundle.verify()
        checks = verify_stores(bundle, rebuild=getattr(args, "rebuild", True))
    except BundleError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    bad = [c for c in checks if c.status == "corrupted"]
    for c in checks:
        if c.status in ("rebuilt", "corrupted"):
            print(f"{'error' if c.status == 'corrupted' else 'warning'}: store {c.name} "
                  f"{'is corrupted' if c.status == 'corrupted' else 'was rebuilt'}: {c.detail}",
                  file=sys.stderr)
    stores = ", ".join(f"{c.name} {c.status}" for c in checks if c.status != "absent")
    if bad:
        return 1
    print(f"ok: {args.name} {bundle.version[:12]} ({len(bundle.manifest.files)} files verified; "
          f"store: {stores or 'not built'})")
    return 0
