"""Domain value types shared by every layer (frozen, slotted dataclasses)."""

from core.domain.bars import Bar, Freq, Instrument
from core.domain.symbols import Board, Exchange, SymbolFormatError, parse_symbol

__all__ = ["Bar", "Board", "Exchange", "Freq", "Instrument", "SymbolFormatError", "parse_symbol"]
