"""A-share security codes: parse the spellings users have, classify exchange and board."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Exchange(str, Enum):
    SH = "SH"
    SZ = "SZ"
    BJ = "BJ"


class Board(str, Enum):
    """Listing board; price-limit and lot rules depend on it."""

    MAIN = "main"
    CHINEXT = "chinext"
    STAR = "star"
    BSE = "bse"
    B_SHARE = "b"
    FUND = "fund"
    INDEX = "index"
    OTHER = "other"


class SymbolFormatError(ValueError):
    """A code that is not one of the known spellings of an A-share security."""


# Vendor suffixes/prefixes seen in the wild -> exchange. JoinQuant/RiceQuant use XSHG/XSHE.
_EXCHANGE_ALIASES = {
    "SH": Exchange.SH,
    "SS": Exchange.SH,
    "SSE": Exchange.SH,
    "XSHG": Exchange.SH,
    "SZ": Exchange.SZ,
    "SZSE": Exchange.SZ,
    "XSHE": Exchange.SZ,
    "BJ": Exchange.BJ,
    "BSE": Exchange.BJ,
    "XBSE": Exchange.BJ,
}
# The first character may be a letter: the SSE gives retired listings temporary codes such as
# T00018 (Shanghai International Port's old A share), and real index-membership history has them.
_SUFFIX = re.compile(r"^([0-9A-Z]\d{5})\.([A-Za-z]{2,4})$")  # 600000.SH, 600000.XSHG, T00018.SH
_PREFIX = re.compile(r"^([A-Za-z]{2})\.?([0-9A-Z]\d{5})$")  # SH600000, sh.600000
_BARE = re.compile(r"^\d{6}$")


@dataclass(frozen=True, slots=True)
class Symbol:
    """A normalized security code; `str()` gives the canonical `600000.SH` form."""

    code: str
    exchange: Exchange

    def __str__(self) -> str:
        return f"{self.code}.{self.exchange.value}"

    @property
    def qlib_code(self) -> str:
        """Qlib's instrument spelling, e.g. `SH600000`."""
        return f"{self.exchange.value}{self.code}"

    @property
    def board(self) -> Board:
        return classify_board(self.code, self.exchange)


def parse_symbol(text: str) -> Symbol:
    """Parse `600000.SH`, `SH600000`, `sh.600000`, `600000.XSHG` or a bare `600000`.

    A bare code is resolved by its prefix (6xx -> SH, 0xx/3xx -> SZ, 4xx/8xx/92x -> BJ), which
    treats `000001` as Ping An Bank, not the SSE Composite index; spell indices with a suffix.
    """
    raw = text.strip()
    if m := _SUFFIX.match(raw):
        code, exch = m.group(1), m.group(2).upper()
    elif m := _PREFIX.match(raw):
        exch, code = m.group(1).upper(), m.group(2)
    elif _BARE.match(raw):
        return Symbol(raw, _exchange_from_code(raw, text))
    else:
        raise SymbolFormatError(f"unknown symbol format {text!r} (expected e.g. 600000.SH, SH600000, sh.600000)")
    exchange = _EXCHANGE_ALIASES.get(exch)
    if exchange is None:
        raise SymbolFormatError(f"unknown exchange {exch!r} in symbol {text!r} (expected SH, SZ or BJ)")
    return Symbol(code, exchange)


def _exchange_from_code(code: str, text: str) -> Exchange:
    if code[0] in "569":
        return Exchange.SH
    if code[0] in "0123":
        return Exchange.SZ
    if code[0] in "48" or code.startswith("92"):
        return Exchange.BJ
    raise SymbolFormatError(f"cannot tell the exchange of bare code {text!r}; add a suffix such as .SH")


def classify_board(code: str, exchange: Exchange) -> Board:
    """Board from the code prefix (SSE/SZSE/BSE code allocation rules)."""
    if exchange is Exchange.BJ:
        return Board.BSE
    if exchange is Exchange.SH:
        if code.startswith(("688", "689")):
            return Board.STAR
        if code.startswith(("600", "601", "603", "605")):
            return Board.MAIN
        if code.startswith("000"):
            return Board.INDEX
        if code.startswith("900"):
            return Board.B_SHARE
        if code.startswith("5"):
            return Board.FUND
        return Board.OTHER
    if code.startswith(("300", "301")):
        return Board.CHINEXT
    if code.startswith(("000", "001", "002", "003")):  # 002 (SME board) merged into main in 2021
        return Board.MAIN
    if code.startswith("399"):
        return Board.INDEX
    if code.startswith("200"):
        return Board.B_SHARE
    if code.startswith(("15", "16", "18")):
        return Board.FUND
    return Board.OTHER
