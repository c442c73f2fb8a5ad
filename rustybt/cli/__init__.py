"""The ``rustybt`` command line. Each command group lives in its own ``_``-module.

A module contributes commands through ``add_commands(sub, bundles_sub)``: ``sub`` is the
top-level subparsers object, ``bundles_sub`` the one under ``rustybt bundles``. Each parser sets
``func=handler`` with ``handler(args) -> int``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rustybt.cli import _bundles, _demo, _sql, _zipline

__all__ = ["build_parser", "main"]

_MODULES = (_bundles, _demo, _sql, _zipline)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (every subcommand has ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="rustybt", description="rustybt: Arrow-native backtesting data layer."
    )
    parser.add_argument(
        "--root", default=None, help="rustybt root (default: $RUSTYBT_ROOT or ~/.rustybt)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    bundles_p = sub.add_parser("bundles", help="list, clean and import bundles")
    bundles_sub = bundles_p.add_subparsers(dest="bundles_command", metavar="ACTION")
    for module in _MODULES:
        module.add_commands(sub, bundles_sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rustybt`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.parse_args([*(argv if argv is not None else sys.argv[1:]), "--help"])
        return 2
    return int(func(args))
