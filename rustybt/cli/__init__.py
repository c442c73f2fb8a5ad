"""The ``rustybt`` command line. Each command group lives in its own ``_``-module.

A module contributes commands through ``add_commands(sub, bundles_sub)``: ``sub`` is the
top-level subparsers object, ``bundles_sub`` the one under ``rustybt bundles``. Each parser sets
``func=handler`` with ``handler(args) -> int``.

Shared behaviour, applied here to every parser once all are built:

- ``--root DIR`` is accepted before the command and after it (``rustybt bundles --root DIR``);
  the innermost one given wins.
- Help texts are plain: RST literals (double backquotes) in descriptions and help strings are
  shown as single quotes.
- Before the command runs, the user extensions are executed: ``<root>/extension.py`` when it
  exists, then each ``-e/--extension FILE`` (like zipline's ``extension.py``); they may register
  bundles and sources.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence

from rustybt.cli import (
    _bench,
    _bundles,
    _demo,
    _ingest,
    _optimize,
    _profile,
    _run,
    _sql,
    _zipline,
)

__all__ = ["build_parser", "main"]

_MODULES = (_ingest, _bundles, _demo, _run, _optimize, _profile, _sql, _zipline, _bench)
_RST_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)
_ROOT_HELP = "rustybt root (default: $RUSTYBT_ROOT or ~/.rustybt)"


def _plain(text: str | None) -> str | None:
    return None if text is None else _RST_LITERAL.sub(r"'\1'", text)


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """``parser`` and every sub-parser below it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # aliases appear once
                yield from _parsers(child)
            for choice in action._choices_actions:
                choice.help = _plain(choice.help)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (every subcommand has ``--help``)."""
    from rustybt import __version__

    parser = argparse.ArgumentParser(
        prog="rustybt", description="rustybt: Arrow-native backtesting data layer."
    )
    parser.add_argument("--version", action="version", version=f"rustybt {__version__}")
    parser.add_argument("--root", default=None, help=_ROOT_HELP)
    parser.add_argument(
        "-e",
        "--extension",
        action="append",
        default=[],
        metavar="FILE",
        help="Python file to run first; it may register bundles and sources (repeatable; "
        "<root>/extension.py runs too when it exists)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    bundles_p = sub.add_parser("bundles", help="list, clean, verify and import bundles")
    bundles_sub = bundles_p.add_subparsers(dest="bundles_command", metavar="ACTION")
    for module in _MODULES:
        module.add_commands(sub, bundles_sub)
    for p in _parsers(parser):
        p.description = _plain(p.description)
        for action in p._actions:
            action.help = _plain(action.help)
        if p is not parser and "--root" not in p._option_string_actions:
            # SUPPRESS: absent here, the value given before the command stays
            p.add_argument("--root", default=argparse.SUPPRESS, help=_ROOT_HELP)
    return parser


def _load_extensions(args: argparse.Namespace) -> int:
    from rustybt.data.bundles import bundle_root
    from rustybt.data.bundles.registry import EXTENSION_FILE
    from rustybt.data.bundles.sources import load_extension
    from rustybt.errors import ExtensionError

    default = bundle_root(args.root) / EXTENSION_FILE
    files = ([default] if default.is_file() else []) + list(args.extension)
    for path in files:
        try:
            load_extension(path)
        except ExtensionError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rustybt`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.parse_args([*(argv if argv is not None else sys.argv[1:]), "--help"])
        return 2
    code = _load_extensions(args)
    if code:
        return code
    return int(func(args))
