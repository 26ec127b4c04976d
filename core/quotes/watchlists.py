"""Watchlists: named, ordered symbol lists saved as JSON in the data folder."""

from __future__ import annotations

import json
from pathlib import Path

from core.domain.symbols import parse_symbol

DEFAULT_NAME = "Watchlist"


class WatchlistError(ValueError):
    """A watchlist operation that cannot be done, with the reason for the user."""


class WatchlistStore:
    """Ordered symbol lists; every change is written at once (atomically) so nothing is lost on a crash."""

    def __init__(self, path: Path, lists: dict[str, list[str]], current: str) -> None:
        self.path = path
        self._lists = lists
        self.current = current

    @classmethod
    def load(cls, path: Path, default_symbols: list[str] | None = None) -> WatchlistStore:
        """Read `path`; a missing or unreadable file starts one list holding `default_symbols`."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            lists = {str(k): [str(s) for s in v] for k, v in raw["lists"].items()}
            current = str(raw.get("current", next(iter(lists))))
            if lists:
                return cls(path, lists, current if current in lists else next(iter(lists)))
        except (OSError, ValueError, KeyError, TypeError, StopIteration):
            pass
        return cls(path, {DEFAULT_NAME: list(default_symbols or [])}, DEFAULT_NAME)

    def names(self) -> list[str]:
        return list(self._lists)

    def symbols(self, name: str | None = None) -> list[str]:
        return list(self._lists[name or self.current])

    def select(self, name: str) -> None:
        self._require(name)
        self.current = name
        self.save()

    def create(self, name: str) -> None:
        if name in self._lists:
            raise WatchlistError(f"a watchlist named {name!r} already exists")
        self._lists[name] = []
        self.current = name
        self.save()

    def add(self, name: str, text: str) -> str:
        """Add a code in any accepted spelling; returns the canonical symbol."""
        self._require(name)
        symbol = str(parse_symbol(text))  # SymbolFormatError explains a bad code
        if symbol not in self._lists[name]:
            self._lists[name].append(symbol)
            self.save()
        return symbol

    def remove(self, name: str, symbol: str) -> None:
        self._require(name)
        if symbol in self._lists[name]:
            self._lists[name].remove(symbol)
            self.save()

    def move(self, name: str, symbol: str, delta: int) -> None:
        items = self._lists[self._require(name)]
        if symbol not in items:
            return
        i = items.index(symbol)
        j = max(0, min(len(items) - 1, i + delta))
        items.insert(j, items.pop(i))
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"current": self.current, "lists": self._lists}, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        tmp.replace(self.path)

    def _require(self, name: str) -> str:
        if name not in self._lists:
            raise WatchlistError(f"no watchlist named {name!r}")
        return name
