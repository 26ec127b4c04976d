"""Simplified Chinese for the chart's 分时 view and drawing tools."""

from __future__ import annotations

TABLE = {
    "ChartPanel": {
        "Intraday": "分时",
        "Intraday time-share (分时): today's minute prices (F5)": "分时走势：当日每分钟价格（F5）",
        "Price": "价格",
        "Avg": "均价",
        "Limits": "涨跌停",
        "Drawing tools: click the chart to place points; Delete removes the selected one": (
            "画线工具：在图上点击放置各点；Delete 删除选中的画线"
        ),
        "Trend line": "趋势线",
        "Horizontal line": "水平线",
        "Fibonacci retracement": "黄金分割回撤",
        "Delete selected drawing": "删除选中的画线",
        "Delete all drawings of this symbol": "删除本股票的全部画线",
        "Delete drawing": "删除画线",
        "No minute bars stored for {symbol}: import 1m bars or connect the bridge": (
            "{symbol} 无分钟数据：请导入 1 分钟K线或连接桥接服务"
        ),
    },
    "ChartPresenter": {
        "Could not load the intraday chart: {error}": "无法加载分时图：{error}",
    },
    "MainWindow": {
        "Chart: K-line / intraday (分时)": "图表：K线 / 分时切换",
        "Del / right-click": "Del / 右键",
        "Chart: delete the selected drawing": "图表：删除选中的画线",
        "Chart: cancel the drawing tool, hide the cursor": "图表：取消画线工具，隐藏光标",
    },
}
