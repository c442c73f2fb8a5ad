"""The event-driven engine: zipline-style algorithms on any zipline-shaped data portal.

Modules, one concept each: ``algorithm`` (TradingAlgorithm and its order API), ``api``
(zipline's free functions), ``bar_data`` (``data``), ``simulation`` (the event loop),
``blotter``, ``orders``, ``slippage``, ``commission``, ``ledger`` (Decimal money, ``money``
is its one float→Decimal boundary), ``portfolio`` (float views for the algorithm),
``controls``, ``scheduling``, ``metrics`` (perf frame, risk statistics), ``results``
(Parquet and plots), ``run`` (``run_algorithm``).
"""

from rustybt.engine.algorithm import TradingAlgorithm
from rustybt.engine.results import load_results, plot_results, save_results
from rustybt.engine.run import run_algorithm

__all__ = ["TradingAlgorithm", "load_results", "plot_results", "run_algorithm", "save_results"]
