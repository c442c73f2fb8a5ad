"""SQLResult: a materialised query result with Arrow, Polars and pandas views of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

__all__ = ["SQLResult"]


class SQLResult:
    """The result of one bundle SQL query (already fetched; safe to pass between threads).

    Args:
        table: The result as a pyarrow Table.
    """

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def __repr__(self) -> str:
        return f"SQLResult({self._table.num_rows} rows × {self._table.num_columns} columns)"

    def __len__(self) -> int:
        return int(self._table.num_rows)

    @property
    def columns(self) -> list[str]:
        """Column names."""
        return list(self._table.column_names)

    def arrow(self) -> pa.Table:
        """The result as a pyarrow Table (no copy)."""
        return self._table

    def pl(self) -> pl.DataFrame:
        """The result as a Polars DataFrame."""
        import polars

        out = polars.from_arrow(self._table)
        assert isinstance(out, polars.DataFrame)
        return out

    def df(self) -> pd.DataFrame:
        """The result as a pandas DataFrame (DATE columns as datetime64[ns], timestamps in UTC)."""
        frame = self._table.to_pandas(date_as_object=False)
        for field in self._table.schema:
            if pa.types.is_date(field.type):
                frame[field.name] = frame[field.name].astype("datetime64[ns]")
            elif pa.types.is_timestamp(field.type) and field.type.tz is not None:
                frame[field.name] = frame[field.name].dt.tz_convert("UTC")
        return frame

    def fetchall(self) -> list[tuple[object, ...]]:
        """Rows as Python tuples."""
        cols = [c.to_pylist() for c in self._table.columns]
        return list(zip(*cols, strict=True)) if cols else []
