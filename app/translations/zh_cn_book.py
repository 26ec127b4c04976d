"""Simplified Chinese for the order book (五档 and 明细) and the F10 instrument info."""

from __future__ import annotations

TABLE = {
    "Docks": {
        "Order book": "五档盘口",
        "Five bid and ask levels and the trades of the charted symbol; click a price for a ticket at it.": (
            "K线所示证券的买卖五档与成交明细；点击价格即按该价填写委托。"
        ),
    },
    "OrderBook": {
        "Level": "档位",
        "Price": "价格",
        "Lots": "手数",
        "Click a price to open a ticket at it: an ask buys, a bid sells": (
            "点击价格按该价填写委托：卖档为买入，买档为卖出"
        ),
        "Buy": "买入",
        "Sell": "卖出",
        "Ticket to buy at the best ask": "按卖一价填写买入委托",
        "Ticket to sell at the best bid": "按买一价填写卖出委托",
        "Time": "时间",
        "Time and sales": "成交明细",
        "Ask {n}": "卖{n}",
        "Bid {n}": "买{n}",
        "No symbol": "未选证券",
        "UL": "涨停",
        "DL": "跌停",
        "Limits unknown": "涨跌停价未知",
        "Limit up {up:.2f} / down {down:.2f}": "涨停 {up:.2f} / 跌停 {down:.2f}",
        "At limit up": "封涨停",
        "At limit down": "封跌停",
    },
    "InstrumentInfo": {
        "Instrument info (F10)": "个股资料 (F10)",
        "From": "起",
        "To": "止",
        "Name": "名称",
        "ST": "ST",
        "Name history": "曾用名",
        "Main board": "主板",
        "ChiNext": "创业板",
        "STAR Market": "科创板",
        "Beijing Stock Exchange": "北交所",
        "B share": "B股",
        "Fund": "基金",
        "Index": "指数",
        "Other": "其他",
        "unknown": "未知",
        "Code": "代码",
        "Board": "板块",
        "Listed": "上市日期",
        "Delisted": "退市日期",
        "Risk warning": "风险警示",
        "ST / *ST": "ST / *ST",
        "none": "无",
        "As of": "数据日期",
        "Last": "最新价",
        "Change": "涨跌",
        "Volume": "成交量",
        "Turnover": "成交额",
        "52-week high": "52周最高",
        "52-week low": "52周最低",
        "Market cap": "总市值",
        "before records": "记录之前",
        "now": "至今",
    },
    "MainWindow": {
        "Instrument info": "个股资料",
    },
}
