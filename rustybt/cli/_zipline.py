"""``rustybt bundles import-zipline``: convert an ingested zipline bundle into a rustybt bundle."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

__all__ = ["add_commands"]


def add_commands(sub: Any, bundles_sub: Any) -> None:
    """Register ``rustybt bundles import-zipline``."""
    p = bundles_sub.add_parser(
        "import-zipline",
        help="import an ingested zipline bundle (bcolz/HDF5 bars, assets, adjustments)",
        description="Convert the newest ingestion of zipline bundle ZIPLINE_BUNDLE (daily and "
        "minute bcolz bars or an HDF5 daily file, the assets db and the adjustments db) into a "
        "new version of a rustybt Parquet bundle. Needs zipline-reloaded installed.",
    )
    p.add_argument("zipline_bundle", metavar="ZIPLINE_BUNDLE", help="zipline bundle name")
    p.add_argument(
        "--zipline-root",
        default=None,
        help="zipline's root (default: $ZIPLINE_ROOT or ~/.zipline)",
    )
    p.add_argument(
        "--as", dest="as_name", default=None, help="rustybt bundle name (default: the same)"
    )
    p.add_argument("--timestamp", default=None, help="a specific ingestion directory name")
    p.add_argument(
        "--calendar",
        default=None,
        help="calendar of the bars (default: the zipline readers'; XNYS for HDF5 daily files)",
    )
    p.set_defaults(func=_import_zipline)


def _import_zipline(args: argparse.Namespace) -> int:
    try:
        import zipline  # noqa: F401
    except ImportError:  # pragma: no cover - zipline-reloaded comes with the dev extra
        print(
            "error: importing zipline bundles needs zipline-reloaded "
            "(pip install zipline-reloaded)",
            file=sys.stderr,
        )
        return 2
    from rustybt.compat.zipline.bundle_import import import_zipline_bundle
    from rustybt.errors import BundleError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bundle, summary = import_zipline_bundle(
                args.zipline_bundle,
                zipline_root=args.zipline_root,
                as_name=args.as_name,
                root=args.root,
                timestamp=args.timestamp,
                calendar_name=args.calendar,
            )
    except BundleError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    adjustments = ", ".join(f"{k} {v}" for k, v in summary.adjustments.items())
    print(
        f"imported zipline bundle {args.zipline_bundle!r} as {bundle.name!r} "
        f"version {bundle.version[:12]}: {summary.assets} assets, "
        f"{summary.daily_bars} daily bars, {summary.minute_bars} minute bars"
        + (f"; adjustments: {adjustments}" if adjustments else "")
    )
    if summary.partial_bars:
        print(
            f"note: {summary.partial_bars} bars have some prices missing (NaN in those fields, "
            "as zipline reads them)"
        )
    if summary.ratio_only_dividends:
        print(
            f"note: {summary.ratio_only_dividends} dividend ratios without a payout were "
            "imported as payouts of amount 0"
        )
    return 0
