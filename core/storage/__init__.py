"""Local storage: the SQLite market store (system of record) and its schema migrations."""

from core.storage.market_store import MarketStore, SeriesSummary, UpsertResult

__all__ = ["MarketStore", "SeriesSummary", "UpsertResult"]
