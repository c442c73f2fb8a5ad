"""Compatibility with other backtesting libraries; each speaks to rustybt from its own package."""
