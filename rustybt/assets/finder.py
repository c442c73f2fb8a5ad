"""AssetFinder: look assets up by sid, and by symbol as of a date."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from rustybt.assets._asset import Asset, Equity
from rustybt.errors import SidsNotFound, SymbolNotFound

__all__ = ["AssetFinder", "SidsNotFound", "SymbolNotFound"]


def _ts(value: object) -> pd.Timestamp | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def _day(value: object) -> pd.Timestamp | None:
    """The (naive, midnight) date of an as-of value: a minute counts as its UTC date."""
    ts = _ts(value)
    return None if ts is None else ts.normalize()


_FUZZY_DELIMITERS = str.maketrans("", "", "._-/ ")


class AssetFinder:
    """In-memory asset lookups built from a bundle's ``assets.parquet`` and symbol history.

    Args:
        assets: Frame with columns sid, symbol, asset_name, exchange, start_date, end_date,
            first_traded, auto_close_date.
        symbol_history: Optional frame (sid, symbol, start_date, end_date) for symbols that
            changed; without it each asset's current symbol covers its whole life.
    """

    def __init__(self, assets: pd.DataFrame, symbol_history: pd.DataFrame | None = None) -> None:
        self._by_sid: dict[int, Asset] = {}
        for row in assets.itertuples(index=False):
            asset = Equity(
                sid=int(row.sid),
                symbol=str(row.symbol),
                asset_name=str(getattr(row, "asset_name", "") or ""),
                exchange=str(getattr(row, "exchange", "") or ""),
                start_date=_ts(getattr(row, "start_date", None)),
                end_date=_ts(getattr(row, "end_date", None)),
                first_traded=_ts(getattr(row, "first_traded", None)),
                auto_close_date=_ts(getattr(row, "auto_close_date", None)),
            )
            self._by_sid[asset.sid] = asset
        if symbol_history is None or len(symbol_history) == 0:
            symbol_history = pd.DataFrame(
                {
                    "sid": [a.sid for a in self._by_sid.values()],
                    "symbol": [a.symbol for a in self._by_sid.values()],
                    "start_date": [a.start_date for a in self._by_sid.values()],
                    "end_date": [a.end_date for a in self._by_sid.values()],
                }
            )
        self._symbols: dict[str, list[tuple[pd.Timestamp | None, pd.Timestamp | None, int]]] = {}
        for row in symbol_history.itertuples(index=False):
            self._symbols.setdefault(str(row.symbol).upper(), []).append(
                (_ts(row.start_date), _ts(row.end_date), int(row.sid))
            )
        for spans in self._symbols.values():
            spans.sort(key=lambda s: s[0] or pd.Timestamp.min)
        self._fuzzy: dict[str, list[tuple[pd.Timestamp | None, pd.Timestamp | None, int]]] = {}
        for sym, spans in self._symbols.items():
            key = sym.translate(_FUZZY_DELIMITERS)
            self._fuzzy[key] = sorted(
                [*self._fuzzy.get(key, []), *spans], key=lambda s: s[0] or pd.Timestamp.min
            )
        self.sids: tuple[int, ...] = tuple(sorted(self._by_sid))

    @classmethod
    def from_parquet(
        cls, assets_path: Path, symbol_history_path: Path | None = None
    ) -> AssetFinder:
        """Build a finder from the bundle's Parquet files."""
        assets = pq.read_table(assets_path).to_pandas()
        history = None
        if symbol_history_path is not None and symbol_history_path.exists():
            history = pq.read_table(symbol_history_path).to_pandas()
        return cls(assets, history)

    def __len__(self) -> int:
        return len(self._by_sid)

    def __contains__(self, sid: object) -> bool:
        try:
            return int(sid) in self._by_sid  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return False

    @property
    def assets(self) -> list[Asset]:
        """All assets, ordered by sid."""
        return [self._by_sid[s] for s in self.sids]

    def retrieve_asset(self, sid: int | Asset, default_none: bool = False) -> Asset | None:
        """Return the asset with this sid (or None when ``default_none``)."""
        key = int(sid)
        asset = self._by_sid.get(key)
        if asset is None and not default_none:
            raise SidsNotFound([key])
        return asset

    def retrieve_all(self, sids: Iterable[int | Asset], default_none: bool = False) -> list[Asset]:
        """Return the assets for ``sids`` in order; unknown sids raise ``SidsNotFound``."""
        out: list[Asset] = []
        missing: list[int] = []
        for sid in sids:
            asset = self._by_sid.get(int(sid))
            if asset is None:
                missing.append(int(sid))
            else:
                out.append(asset)
        if missing and not default_none:
            raise SidsNotFound(missing)
        return out

    def lookup_symbol(self, symbol: str, as_of_date: object = None, fuzzy: bool = False) -> Asset:
        """Return the asset that held ``symbol`` on ``as_of_date`` (a date, or a minute).

        Without a date, the most recent holder is returned. Case is ignored; with ``fuzzy``,
        delimiters are ignored too (``BRK.A`` matches ``BRK_A`` and ``BRKA``), like zipline.
        """
        spans = self._symbols.get(symbol.upper())
        if not spans and fuzzy:
            spans = self._fuzzy.get(symbol.upper().translate(_FUZZY_DELIMITERS))
        when = _day(as_of_date)
        if not spans:
            raise SymbolNotFound(symbol, when)
        if when is None:
            return self._by_sid[spans[-1][2]]
        for start, end, sid in reversed(spans):
            if (start is None or start <= when) and (end is None or when <= end):
                return self._by_sid[sid]
        raise SymbolNotFound(symbol, when)

    def lookup_symbols(
        self, symbols: Iterable[str], as_of_date: object = None, fuzzy: bool = False
    ) -> list[Asset]:
        """``lookup_symbol`` for each symbol."""
        return [self.lookup_symbol(s, as_of_date, fuzzy) for s in symbols]

    def retrieve_equities(self, sids: Iterable[int | Asset]) -> dict[int, Asset]:
        """{sid: asset} for ``sids`` (zipline's name); unknown sids raise ``SidsNotFound``."""
        return {a.sid: a for a in self.retrieve_all(sids)}

    @property
    def equities_sids(self) -> tuple[int, ...]:
        """All sids (every bundle asset is an equity)."""
        return self.sids

    def lifetimes(self, session: object) -> list[Asset]:
        """Assets alive on ``session`` (start_date ≤ session ≤ end_date)."""
        when = _day(session)
        if when is None:
            raise ValueError("lifetimes() needs a session")
        return [a for a in self.assets if a.is_alive_for_session(when)]
