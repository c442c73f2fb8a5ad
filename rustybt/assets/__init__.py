"""Assets and their lookups."""

from rustybt.assets._asset import Asset, Equity
from rustybt.assets.finder import AssetFinder, SidsNotFound, SymbolNotFound

__all__ = ["Asset", "AssetFinder", "Equity", "SidsNotFound", "SymbolNotFound"]
