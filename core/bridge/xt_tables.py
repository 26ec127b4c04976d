"""xtquant's codes and names, mapped to QDesk's in one place: markets, security states, periods, adjustments."""

from __future__ import annotations

from core.domain.bars import Freq
from core.domain.symbols import Exchange

# Market suffixes as xtquant spells them (xtconstant.MARKET_SHANGHAI / _SHENZHEN / _BEIJING).
XT_MARKETS: dict[str, Exchange] = {"SH": Exchange.SH, "SZ": Exchange.SZ, "BJ": Exchange.BJ}

# `openInt` of a stock tick is its security state (xtquant data dictionary, 证券状态).
XT_STOCK_STATES: dict[int, str] = {
    0: "unknown",
    10: "unknown",
    1: "suspended",  # 停牌
    11: "pre_open",  # 开盘前 S
    12: "call_auction",  # 集合竞价时段 C
    13: "continuous",  # 连续交易 T
    14: "break",  # 休市 B
    15: "closed",  # 闭市 E
    16: "volatility_break",  # 波动性中断 V
    17: "halted",  # 临时停牌 P
    18: "closing_auction",  # 收盘集合竞价 U
    19: "intraday_auction",  # 盘中集合竞价 M
    20: "halted_until_close",  # 暂停交易至闭市 N
    21: "field_error",  # 获取字段异常
    22: "after_hours",  # 盘后固定价格行情
    23: "after_hours_done",  # 盘后固定价格行情完毕
}
# States in which the security does not trade: shown to users as suspended.
XT_SUSPENDED_STATES = frozenset({1, 17, 20})

# Bar periods and price adjustments (get_market_data_ex `period` / `dividend_type`).
XT_PERIODS: dict[Freq, str] = {Freq.DAY: "1d", Freq.MINUTE: "1m"}
XT_DIVIDEND_TYPES: dict[str, str] = {"none": "none", "front": "front", "back": "back"}
# Period name xtquant uses to subscribe to Level-1 snapshots.
XT_TICK_PERIOD = "tick"

# Stock volumes in xtquant ticks and bars count lots (手) of 100 shares; `pvolume` counts shares.
XT_SHARES_PER_LOT = 100

# Sectors whose members make up the instrument list (get_stock_list_in_sector).
XT_A_SHARE_SECTORS = ("沪深A股", "京市A股")

# ExpireDate values xtquant uses for "not delisted".
XT_NO_EXPIRY = frozenset({"", "0", "99999999", "30000101"})
