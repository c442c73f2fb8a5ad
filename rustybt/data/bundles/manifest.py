"""manifest.json: what a bundle version holds, and its content hash (the bundle version)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rustybt.data.bundles.format import FORMAT_VERSION, MANIFEST_FILE
from rustybt.errors import BundleCorrupted

__all__ = ["FileEntry", "Manifest", "content_hash"]


@dataclass(frozen=True)
class FileEntry:
    """One file of a bundle version: its SHA256 and size in bytes."""

    sha256: str
    bytes: int


def content_hash(
    *,
    format_version: int,
    calendar_name: str,
    first_session: str | None,
    last_session: str | None,
    files: dict[str, FileEntry],
) -> str:
    """The bundle version: SHA256 over the format, calendar, session range and file hashes.

    Ingest time, bundle name and source parameters are deliberately left out, so the same
    content ingested twice has the same version.
    """
    payload = {
        "format_version": format_version,
        "calendar_name": calendar_name,
        "first_session": first_session,
        "last_session": last_session,
        "files": {k: files[k].sha256 for k in sorted(files)},
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


@dataclass(frozen=True)
class Manifest:
    """The parsed ``manifest.json`` of one bundle version."""

    name: str
    version: str
    calendar_name: str
    frequencies: tuple[str, ...]
    first_session: str | None
    last_session: str | None
    asset_count: int
    files: dict[str, FileEntry]
    created_at: str
    format_version: int = FORMAT_VERSION
    source: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Serialise as pretty JSON (stable key order)."""
        data = asdict(self)
        data["frequencies"] = list(self.frequencies)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse the JSON written by :meth:`to_json`."""
        data = json.loads(text)
        data["frequencies"] = tuple(data["frequencies"])
        data["files"] = {k: FileEntry(**v) for k, v in data["files"].items()}
        return cls(**data)

    @classmethod
    def read(cls, version_dir: Path) -> Manifest:
        """Read ``manifest.json`` from a version directory.

        Raises:
            FileNotFoundError: ``version_dir`` does not exist.
            BundleCorrupted: The file is missing, truncated or not a manifest (names the file).
        """
        path = Path(version_dir) / MANIFEST_FILE
        try:
            return cls.from_json(path.read_text())
        except FileNotFoundError:
            if not path.parent.is_dir():
                raise  # no such version directory: not a corrupt one
            raise BundleCorrupted(f"{path}: manifest missing") from None
        except (ValueError, KeyError, TypeError) as exc:  # JSON, missing or unknown fields
            raise BundleCorrupted(f"{path}: unreadable manifest ({exc})") from exc

    @property
    def total_bytes(self) -> int:
        """Total size of the version's data files."""
        return sum(f.bytes for f in self.files.values())

    def expected_hash(self) -> str:
        """Recompute the content hash from the recorded file hashes."""
        return content_hash(
            format_version=self.format_version,
            calendar_name=self.calendar_name,
            first_session=self.first_session,
            last_session=self.last_session,
            files=self.files,
        )
