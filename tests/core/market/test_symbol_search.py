"""键盘精灵 search: codes, names and pinyin initials of real instruments, ranked as a terminal ranks them."""

from __future__ import annotations

from pathlib import Path

from core.market.symbol_search import SymbolIndex, pinyin_initials

ENTRIES = [
    ("600519.SH", "贵州茅台"),
    ("000001.SZ", "平安银行"),
    ("000001.SH", "上证指数"),
    ("000002.SZ", "万科A"),
    ("600000.SH", "浦发银行"),
    ("601318.SH", "中国平安"),
    ("600132.SH", "重庆啤酒"),
    ("600005.SH", ""),  # a code the store holds without a name
]


def symbols(index: SymbolIndex, text: str) -> list[str]:
    return [e.symbol for e in index.search(text)]


def test_initials_follow_the_words_reading() -> None:
    assert pinyin_initials("平安银行") == "PAYH"  # 行 read hang in 银行, not xing
    assert pinyin_initials("重庆啤酒") == "CQPJ"  # 重 read chong in 重庆
    assert pinyin_initials("万科A") == "WKA"
    assert pinyin_initials("*ST国华") == "STGH"


def test_codes_initials_and_names_find_stocks_and_indices() -> None:
    index = SymbolIndex(ENTRIES)
    assert symbols(index, "600519") == ["600519.SH"]
    assert symbols(index, "gzmt") == ["600519.SH"]
    assert symbols(index, "PAYH") == ["000001.SZ"]
    assert symbols(index, "szzs") == ["000001.SH"]  # indices too
    assert symbols(index, "平安") == ["000001.SZ", "601318.SH"]  # name prefix before name contains
    assert symbols(index, "6000") == ["600000.SH", "600005.SH"]
    assert symbols(index, "  ") == [] and symbols(index, "zzzz") == []


def test_an_exact_code_ranks_above_prefixes_and_bare_codes_match_both_exchanges() -> None:
    index = SymbolIndex(ENTRIES)
    assert symbols(index, "000001") == ["000001.SH", "000001.SZ"]  # both exact: code order decides
    assert symbols(index, "00000")[:2] == ["000001.SH", "000001.SZ"]
    assert len(index.search("0", limit=3)) == 3


def test_the_demo_instruments_are_all_findable_by_their_initials() -> None:
    import csv

    with (Path(__file__).parents[3] / "resources" / "demo" / "instruments.csv").open(encoding="utf-8") as f:
        rows = [(r["symbol"], r["name"]) for r in csv.DictReader(f) if r.get("name")]
    index = SymbolIndex(rows)
    assert rows
    for symbol, name in rows:
        assert symbol in symbols(index, pinyin_initials(name)), name
