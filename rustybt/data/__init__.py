"""rustybt's data layer: bundles, the Arrow portal, and the zipline DataPortal shim."""
