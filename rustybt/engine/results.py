"""The results frame on disk (Parquet) and as a picture (equity curve and drawdown, PNG).

File format (``save_results``): one Parquet file, one row per session, the session dates as
the pandas index (pandas metadata restores it). Scalar columns are stored as they are: zipline's
numeric columns, ``period_open``/``period_close`` (UTC), ``period_label`` and whatever the
algorithm recorded (numbers, strings, booleans, dates). The three object columns become nested
Parquet columns — ``list<struct>`` with fixed schemas (:data:`ORDER_FIELDS`,
:data:`TRANSACTION_FIELDS`, :data:`POSITION_FIELDS`) — with each ``Asset`` stored as its sid
(int64). The schema metadata key ``rustybt.results`` marks the file and names the nested
columns.

``load_results`` returns the same frame: equal scalar columns and, in the nested columns, lists
of dicts with the same keys and values, except that ``sid`` is the int sid — or, given an
``asset_finder``, the ``Asset`` again. What is not stored: the Python types of recorded values
Parquet cannot hold (an ``Asset``, a list, a dict): ``save_results`` refuses them with an error
naming the column and the session instead of writing something that would read back different.

Plots (``plot_results``) use matplotlib's object API on an Agg canvas (no pyplot, no global
backend switch), so they work without a display and from any thread.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rustybt.errors import ResultsError

__all__ = [
    "NESTED_COLUMNS",
    "ORDER_FIELDS",
    "POSITION_FIELDS",
    "TRANSACTION_FIELDS",
    "load_results",
    "plot_results",
    "save_results",
]

_TS = pa.timestamp("ns", tz="UTC")
ORDER_FIELDS = pa.struct(
    [
        ("id", pa.string()),
        ("dt", _TS),
        ("reason", pa.string()),
        ("created", _TS),
        ("sid", pa.int64()),
        ("amount", pa.int64()),
        ("filled", pa.int64()),
        ("commission", pa.float64()),
        ("stop", pa.float64()),
        ("limit", pa.float64()),
        ("stop_reached", pa.bool_()),
        ("limit_reached", pa.bool_()),
        ("status", pa.int64()),
    ]
)
TRANSACTION_FIELDS = pa.struct(
    [
        ("amount", pa.int64()),
        ("dt", _TS),
        ("price", pa.float64()),
        ("order_id", pa.string()),
        ("sid", pa.int64()),
        ("commission", pa.float64()),
    ]
)
POSITION_FIELDS = pa.struct(
    [
        ("sid", pa.int64()),
        ("amount", pa.int64()),
        ("cost_basis", pa.float64()),
        ("last_sale_price", pa.float64()),
    ]
)
#: The object columns of the perf frame and the struct each list element is stored as.
NESTED_COLUMNS: dict[str, pa.StructType] = {
    "orders": ORDER_FIELDS,
    "transactions": TRANSACTION_FIELDS,
    "positions": POSITION_FIELDS,
}
_META_KEY = b"rustybt.results"
_FORMAT_VERSION = 1


def _plain_entry(column: str, session: Any, entry: Any, names: set[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ResultsError(
            f"results column {column!r} on {session}: expected dicts, got "
            f"{type(entry).__name__} {entry!r}"
        )
    unknown = set(entry) - names
    if unknown:
        raise ResultsError(
            f"results column {column!r} on {session}: unknown field(s) "
            f"{sorted(unknown)}; rustybt.engine.results stores only "
            f"{sorted(names)}"
        )
    out = dict(entry)
    asset = out.get("sid")
    if asset is not None and not isinstance(asset, int):
        sid = getattr(asset, "sid", None)
        if not isinstance(sid, int):
            raise ResultsError(
                f"results column {column!r} on {session}: sid {asset!r} is "
                "neither an Asset nor an int"
            )
        out["sid"] = sid
    return out


def _nested_array(perf: pd.DataFrame, column: str, kind: pa.StructType) -> pa.Array:
    names = {kind.field(i).name for i in range(kind.num_fields)}
    cells: list[list[dict[str, Any]]] = []
    for session, cell in perf[column].items():
        if cell is None or (isinstance(cell, float) and cell != cell):
            cells.append([])
            continue
        if not isinstance(cell, Iterable) or isinstance(cell, str | dict):
            raise ResultsError(
                f"results column {column!r} on {session}: expected a list of "
                f"dicts, got {type(cell).__name__}"
            )
        cells.append([_plain_entry(column, session, e, names) for e in cell])
    try:
        return pa.array(cells, type=pa.list_(kind))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ResultsError(
            f"results column {column!r}: a value does not fit {kind}: {exc}"
        ) from None


def _scalar_table(frame: pd.DataFrame) -> pa.Table:
    try:
        return pa.Table.from_pandas(frame, preserve_index=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    for name in frame.columns:  # find the column and the session to name in the error
        for session, value in frame[name].items():
            try:
                pa.array([value])
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                raise ResultsError(
                    f"results column {name!r} on {session}: Parquet cannot store "
                    f"{type(value).__name__} {value!r}; record numbers, strings, booleans "
                    "or dates"
                ) from None
        try:
            pa.array(frame[name].tolist())
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise ResultsError(
                f"results column {name!r} mixes types Parquet cannot store in one column: {exc}"
            ) from None
    raise ResultsError("the results frame cannot be stored as Parquet")  # pragma: no cover


def save_results(perf: pd.DataFrame, path: Path | str) -> Path:
    """Write the results frame of ``run_algorithm`` to ``path`` as Parquet (see the module
    docstring for the format); returns the path.

    Raises:
        ResultsError: a column holds values Parquet cannot store (the message names the
            column and the session).
    """
    if isinstance(perf.columns, pd.MultiIndex) or not all(isinstance(c, str) for c in perf.columns):
        raise ResultsError("results columns must be strings (a run_algorithm frame)")
    nested = [c for c in NESTED_COLUMNS if c in perf.columns]
    table = _scalar_table(perf.drop(columns=nested))
    arrays = {name: _nested_array(perf, name, NESTED_COLUMNS[name]) for name in nested}
    columns, fields = [], []
    for name in [*perf.columns, *(n for n in table.column_names if n not in perf.columns)]:
        if name in arrays:
            columns.append(arrays[name])
            fields.append(pa.field(name, arrays[name].type))
        else:
            columns.append(table.column(name))
            fields.append(table.schema.field(name))
    meta = dict(table.schema.metadata or {})
    meta[_META_KEY] = json.dumps({"version": _FORMAT_VERSION, "nested": nested}).encode()
    out = pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata=meta))
    target = Path(path)
    pq.write_table(out, target)
    return target


def _timestamp(value: Any) -> Any:
    return None if value is None else pd.Timestamp(value)


def _restore(rows: list[Any], kind: pa.StructType, finder: Any) -> list[list[dict[str, Any]]]:
    stamps = [
        kind.field(i).name
        for i in range(kind.num_fields)
        if pa.types.is_timestamp(kind.field(i).type)
    ]
    cache: dict[int, Any] = {}
    out = []
    for row in rows:
        entries = []
        for entry in row or []:
            for key in stamps:
                entry[key] = _timestamp(entry[key])
            sid = entry.get("sid")
            if finder is not None and sid is not None:
                if sid not in cache:
                    cache[sid] = finder.retrieve_asset(sid)
                entry["sid"] = cache[sid]
            entries.append(entry)
        out.append(entries)
    return out


def load_results(path: Path | str, asset_finder: Any = None) -> pd.DataFrame:
    """Read a file written by :func:`save_results`.

    Args:
        path: The Parquet file.
        asset_finder: When given (``bundle.asset_finder``), ``sid`` entries in orders,
            transactions and positions become ``Asset`` objects again; otherwise ints.

    Raises:
        ResultsError: ``path`` is not a results file written by :func:`save_results`.
    """
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise ResultsError(f"cannot read results {path}: {exc}") from None
    raw = (table.schema.metadata or {}).get(_META_KEY)
    if raw is None:
        raise ResultsError(
            f"{path} is a Parquet file but not rustybt results (no "
            f"{_META_KEY.decode()} metadata): write it with save_results"
        )
    info = json.loads(raw)
    if info.get("version") != _FORMAT_VERSION:
        raise ResultsError(
            f"{path}: results format version {info.get('version')} is not "
            f"supported (this rustybt reads version {_FORMAT_VERSION})"
        )
    nested = [n for n in info["nested"] if n in NESTED_COLUMNS]
    perf = table.drop_columns(nested).to_pandas()
    order = [n for n in table.column_names if n in perf.columns or n in nested]
    for name in nested:
        perf[name] = _restore(table.column(name).to_pylist(), NESTED_COLUMNS[name], asset_finder)
    return perf[order]


def _png_size(width: float, height: float, dpi: int) -> tuple[int, int]:
    if not (width > 0 and height > 0 and dpi > 0):
        raise ResultsError(f"plot size must be positive: width={width}, height={height}, dpi={dpi}")
    return round(width * dpi), round(height * dpi)


def plot_results(
    perf: pd.DataFrame,
    path: Path | str,
    *,
    title: str | None = None,
    width: float = 10.0,
    height: float = 6.0,
    dpi: int = 100,
) -> Path:
    """Write a PNG of the equity curve (``portfolio_value``) over the drawdown; returns the path.

    The image is ``width × dpi`` by ``height × dpi`` pixels (1000 × 600 by default). The
    drawdown is ``portfolio_value / running peak − 1``, the peak starting at the first
    session's starting value (``starting_cash + starting_value``).

    Raises:
        ResultsError: the frame has no sessions or no ``portfolio_value``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if "portfolio_value" not in perf.columns or len(perf) == 0:
        raise ResultsError(
            "plot_results needs a results frame with at least one session "
            "and a portfolio_value column"
        )
    _png_size(width, height, dpi)
    value = perf["portfolio_value"].astype(float)
    start = (
        float(perf["starting_cash"].iloc[0] + perf["starting_value"].iloc[0])
        if {"starting_cash", "starting_value"} <= set(perf.columns)
        else float(value.iloc[0])
    )
    peak = value.cummax().clip(lower=start)
    drawdown = value / peak - 1.0
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    top.plot(
        value.index, value.to_numpy(), color="tab:blue", linewidth=1.2, label="portfolio value"
    )
    top.axhline(start, color="grey", linewidth=0.8, linestyle="--", label="capital base")
    top.set_ylabel("portfolio value")
    top.legend(loc="upper left")
    top.grid(True, alpha=0.3)
    bottom.fill_between(
        drawdown.index, drawdown.to_numpy() * 100.0, 0.0, color="tab:red", alpha=0.4, step="post"
    )
    bottom.set_ylabel("drawdown %")
    bottom.grid(True, alpha=0.3)
    total = value.iloc[-1] / start - 1.0
    fig.suptitle(title or f"total return {total:+.2%}, max drawdown {drawdown.min():.2%}")
    fig.autofmt_xdate()
    fig.tight_layout()
    target = Path(path)
    fig.savefig(target, format="png", dpi=dpi)
    return target
