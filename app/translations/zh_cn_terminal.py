"""Simplified Chinese for the terminal-style quote board columns, 键盘精灵, chart notes and shortcuts."""

from __future__ import annotations

TABLE = {
    "QuoteBoard": {
        "Open": "今开",
        "Pre-close": "昨收",
        "Turnover %": "换手%",
        "Vol ratio": "量比",
        "Amplitude %": "振幅%",
    },
    "ChartPanel": {
        "Month": "月线",
        "No adj.": "不复权",
        "Fwd adj.": "前复权",
        "Back adj.": "后复权",
        "Price adjustment: unadjusted, forward (前复权) or backward (后复权)": "复权方式：不复权、前复权或后复权",
    },
    "ChartPresenter": {
        "Unadjusted: no adjustment factors stored for {symbol} (import bars with a factor column)": (
            "不复权：{symbol} 未存复权因子（请导入带 factor 列的K线）"
        ),
    },
    "KeyboardWizard": {
        "Code, name or pinyin initials": "代码、名称或拼音首字母",
    },
    "MainWindow": {
        "Watchlist": "自选股",
        "Previous symbol in the list": "上一只",
        "Next symbol in the list": "下一只",
        "Letters or digits": "字母或数字",
        "键盘精灵: find a stock by code, name or pinyin initials": "键盘精灵：按代码、名称或拼音首字母查找证券",
        "键盘精灵: a buy / sell ticket for the charted stock": "键盘精灵：为当前图表证券打开买入/卖出委托",
        "Chart: move the cursor, zoom in and out": "K线图：移动光标、放大、缩小",
        "&Keyboard shortcuts": "快捷键(&K)",
        "Keyboard shortcuts": "快捷键",
    },
    "DataManager": {
        "Import": "导入",
        "Export CSV": "导出 CSV",
        "Export Qlib": "导出 Qlib",
        "Update from bridge": "从桥接更新",
        "Daily": "日线",
        "1-minute": "1分钟线",
    },
    "TrainingPanel": {
        "Train a model to see its loss and valid IC by epoch here.": "训练模型后，这里按轮次显示损失与验证集 IC。",
        "auto": "自动",
        "Data range": "数据区间",
        "Training time": "训练用时",
    },
    "Settings": {
        "Settings saved": "设置已保存",
    },
    "BacktestPanel": {
        "Run a backtest to see its equity, drawdown and turnover here.": "运行回测后，这里显示净值、回撤与换手。",
    },
}
