"""Bundles: Parquet on disk, ingested atomically with validation and a SHA256 content version."""

from rustybt.data.bundles.bundle import Bundle
from rustybt.data.bundles.manifest import Manifest
from rustybt.data.bundles.registry import (
    BundleInfo,
    VersionInfo,
    bundle_root,
    bundles,
    clean,
    ingest,
    load,
    register,
    registered,
    unregister,
)
from rustybt.data.bundles.writer import BundleWriter

__all__ = [
    "Bundle",
    "BundleInfo",
    "BundleWriter",
    "Manifest",
    "VersionInfo",
    "bundle_root",
    "bundles",
    "clean",
    "ingest",
    "load",
    "register",
    "registered",
    "unregister",
]
