"""SymbolIndex: find stocks and indices by code, name or pinyin initials, as a terminal's 键盘精灵 does."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_LIMIT = 20


@dataclass(frozen=True, slots=True)
class SymbolEntry:
    """One searchable instrument: `initials` are the name's pinyin initials, upper case (平安银行 -> PAYH)."""

    symbol: str
    name: str
    initials: str


def pinyin_initials(name: str) -> str:
    """Upper-case pinyin initials of `name`, keeping Latin letters and digits (万科A -> WKA, *ST国华 -> STGH)."""
    from pypinyin import Style, lazy_pinyin  # its phrase tables load on first use, not at start-up

    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default"))
    return "".join(ch for ch in letters if ch.isalnum()).upper()


class SymbolIndex:
    """Built once from (symbol, name) pairs; `search` ranks exact hits, then prefixes, then the rest."""

    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        self._entries = [SymbolEntry(symbol, name, pinyin_initials(name) if name else "") for symbol, name in entries]

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, text: str, limit: int = DEFAULT_LIMIT) -> list[SymbolEntry]:
        """Entries matching `text` (code, name or initials, any case), best first; empty text finds nothing."""
        query = text.strip().upper()
        if not query:
            return []
        scored = []
        for entry in self._entries:
            score = _score(entry, query)
            if score is not None:
                scored.append((score, entry.symbol, entry))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [entry for _, _, entry in scored[:limit]]


def _score(entry: SymbolEntry, query: str) -> int | None:
    code = entry.symbol.split(".")[0]
    if query in (code, entry.symbol, entry.initials) or query == entry.name:
        return 0
    if code.startswith(query) or entry.symbol.startswith(query):
        return 1
    if entry.initials.startswith(query) or entry.name.startswith(query):
        return 2
    if query in code or query in entry.initials or query in entry.name.upper():
        return 3
    return None
