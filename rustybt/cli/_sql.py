"""CLI commands (filled in by the owning issue)."""

from __future__ import annotations

import argparse
from typing import Any


def add_commands(sub: Any, bundles_sub: Any) -> None:
    """Register this module's subcommands."""
    _ = (sub, bundles_sub, argparse)
