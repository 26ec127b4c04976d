"""Simplified Chinese for the chart's 分时 view and drawing tools."""

from __future__ import annotations

TABLE = {
    "ChartPanel": {
        "Intraday": "分时",
        "Intraday time-share (分时): today's minute prices (F5)": "分时走势：当日每分钟价格（F5）",
        "Price": "价格",
        "Avg": "均价",
        "Limits": "涨跌停",
        "No minute bars stored for {symbol}: import 1m bars or connect the bridge": (
            "{symbol} 无分钟数据：请导入 1 分钟K线或连接桥接服务"
        ),
    },
    "ChartPresenter": {
        "Could not load the intraday chart: {error}": "无法加载分时图：{error}",
    },
    "MainWindow": {
        "Chart: K-line / intraday (分时)": "图表：K线 / 分时切换",
    },
}
