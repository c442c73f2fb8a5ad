"""Helpers of the CLI tests: run the real console script in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def rustybt(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m rustybt ARGV`` in a real process (this checkout first on the path)."""
    full = {**os.environ, **(env or {})}
    full["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), full.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-m", "rustybt", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env=full,
    )
