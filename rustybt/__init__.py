"""rustybt: an Arrow-native backtesting data layer."""

__version__ = "0.1.0"
