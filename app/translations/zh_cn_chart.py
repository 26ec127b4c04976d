"""Simplified Chinese for the chart workbench."""

from __future__ import annotations

TABLE = {
    "ChartPanel": {
        "Mon": "周一",
        "Tue": "周二",
        "Wed": "周三",
        "Thu": "周四",
        "Fri": "周五",
        "Sat": "周六",
        "Sun": "周日",
        # Chinese groups large numbers by 万 (1e4) and 亿 (1e8).
        "1e3:K,1e6:M,1e9:B": "1e4:万,1e8:亿",
        "1m": "1分",
        "5m": "5分",
        "15m": "15分",
        "30m": "30分",
        "60m": "60分",
        "Day": "日线",
        "Week": "周线",
        "Unadjusted": "不复权",
        "Forward adjusted": "前复权",
        "Backward adjusted": "后复权",
        "Code, e.g. 600000": "代码，如 600000",
        "Chart options": "图表选项",
        "Green up, red down": "绿涨红跌",
        "Moving average windows…": "均线周期…",
        "VOL": "成交量",
        "No symbol selected": "未选择证券",
        "Moving averages": "均线",
        "Windows, comma separated:": "周期（逗号分隔）：",
        "No bars for {symbol}": "{symbol} 无K线数据",
    },
}
