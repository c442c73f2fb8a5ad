"""SQL over bundles with DuckDB: read-only views of a bundle's Parquet, window helpers, sandbox.

:mod:`.engine` holds :class:`BundleSQL` and :func:`sql`; :mod:`.views` the relations,
:mod:`.window` the rolling/ASOF helpers' SQL, :mod:`.sandbox` the locked DuckDB connection and
:mod:`.result` the Arrow-backed result and :mod:`.session` sessions (TEMP objects that
persist). This package reads the Parquet bundle only; it never
touches the mapped store or the portal.
"""

from rustybt.data.sql.engine import BundleSQL, bundle_sql, sql
from rustybt.data.sql.result import SQLResult
from rustybt.data.sql.session import SQLSession

__all__ = ["BundleSQL", "SQLResult", "SQLSession", "bundle_sql", "sql"]
