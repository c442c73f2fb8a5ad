"""ArrowDataPortal: memory-mapped, asset-partitioned Arrow stores and zero-copy history()."""
