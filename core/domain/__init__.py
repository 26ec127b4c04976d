"""Domain value types shared by every layer (frozen, slotted dataclasses)."""

from core.domain.bars import Bar, Freq, Instrument
from core.domain.symbols import Board, Exchange, SymbolFormatError, parse_symbol
from core.domain.ticks import Tick

__all__ = ["Bar", "Board", "Exchange", "Freq", "Instrument", "SymbolFormatError", "Tick", "parse_symbol"]
