"""Symbol parsing and board classification."""

import pytest

from core.domain.symbols import Board, Exchange, SymbolFormatError, parse_symbol


@pytest.mark.parametrize(
    "text",
    ["600000.SH", "600000.sh", "SH600000", "sh600000", "sh.600000", "600000.XSHG", "600000", " 600000.SH "],
)
def test_spellings_of_one_code_normalize_alike(text: str) -> None:
    sym = parse_symbol(text)
    assert str(sym) == "600000.SH"
    assert sym.qlib_code == "SH600000"


@pytest.mark.parametrize(
    ("text", "canonical", "board"),
    [
        ("000001.XSHE", "000001.SZ", Board.MAIN),
        ("002594.SZ", "002594.SZ", Board.MAIN),
        ("300750", "300750.SZ", Board.CHINEXT),
        ("688981.SH", "688981.SH", Board.STAR),
        ("bj430047", "430047.BJ", Board.BSE),
        ("000300.SH", "000300.SH", Board.INDEX),
        ("399006.SZ", "399006.SZ", Board.INDEX),
        ("T00018.SH", "T00018.SH", Board.OTHER),
    ],
)
def test_board_follows_exchange_code_allocation(text: str, canonical: str, board: Board) -> None:
    sym = parse_symbol(text)
    assert str(sym) == canonical
    assert sym.board is board


def test_bare_codes_resolve_exchange_by_prefix() -> None:
    assert parse_symbol("000001").exchange is Exchange.SZ  # Ping An Bank, not the SSE index
    assert parse_symbol("601318").exchange is Exchange.SH


@pytest.mark.parametrize("text", ["ABC", "600000.XX", "60000.SH", "bars", "SH60000", "", "7000000"])
def test_unknown_formats_are_refused_with_the_text_in_the_message(text: str) -> None:
    with pytest.raises(SymbolFormatError, match="symbol|exchange|code"):
        parse_symbol(text)
