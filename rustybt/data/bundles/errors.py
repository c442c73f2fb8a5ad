"""Errors raised by bundle ingest and loading, named for what happened."""

from __future__ import annotations

__all__ = [
    "BundleCorrupted",
    "BundleError",
    "BundleNotFound",
    "BundleNotRegistered",
    "BundleVersionNotFound",
    "IngestError",
    "IngestWarning",
]


class BundleError(Exception):
    """Base class of every bundle error."""


class BundleNotRegistered(BundleError, KeyError):
    """No ingest function is registered under this name."""

    def __init__(self, name: str, registered: list[str]) -> None:
        self.name = name
        super().__init__(f"no bundle registered as {name!r}; registered: {sorted(registered)}")

    def __str__(self) -> str:
        return str(self.args[0])


class BundleNotFound(BundleError, FileNotFoundError):
    """The bundle has never been ingested under this root."""

    def __init__(self, name: str, root: object) -> None:
        self.name = name
        super().__init__(f"bundle {name!r} has no ingested version under {root}")


class BundleVersionNotFound(BundleError, FileNotFoundError):
    """The requested version (directory name or content hash) does not exist."""

    def __init__(self, name: str, version: str, available: list[str]) -> None:
        self.name = name
        self.version = version
        super().__init__(f"bundle {name!r} has no version {version!r}; available: {available}")


class BundleCorrupted(BundleError):
    """A bundle file is missing or its SHA256 does not match the manifest."""


class IngestError(BundleError, ValueError):
    """Input rejected during ingest; the message names file, row, column and value.

    Attributes:
        file: The input file or logical source the problem was found in.
        row: The 1-based data row (header excluded) or None.
        column: The column name or None.
        value: The offending value or None.
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        if type(value).__module__ == "numpy" and hasattr(value, "item"):
            value = value.item()  # show 2.0, not np.float64(2.0)
        self.reason = reason
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        parts = []
        if file is not None:
            parts.append(f"file {file}")
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column {column!r}")
        if value is not None:
            parts.append(f"value {value!r}")
        where = ", ".join(parts)
        super().__init__(f"{where}: {reason}" if where else reason)


class IngestWarning(UserWarning):
    """Input accepted after a documented repair (e.g. missing sessions become halts)."""
