"""Simplified Chinese for the signals dock."""

from __future__ import annotations

TABLE = {
    "SignalsPanel": {
        "Refresh runs": "刷新模型",
        "Plan rebalance": "生成调仓单",
        "Send to orders…": "发送到委托…",
        "Rank": "排名",
        "Code": "代码",
        "Name": "名称",
        "Score": "得分",
        "Target": "目标持仓",
        "Side": "方向",
        "Shares": "股数",
        "Price": "价格",
        "Value": "金额",
        "Fees": "费用",
        "Limit band": "涨跌停区间",
        "Run": "模型",
        "Top k": "持仓数",
        "Drop": "每日换出",
        "No trained runs yet: train a model in the Training dock first.": (
            "尚无训练结果：请先在“模型训练”面板训练模型。"
        ),
        "Buy": "买入",
        "Sell": "卖出",
        "Signals of {day}: {n} order(s) for the next session. {note}": "{day} 的信号：下一交易日共 {n} 笔委托。{note}",
    },
    "SignalsPresenter": {
        "plan rebalance": "生成调仓单",
        "{n} refused by the trading rules.": "{n} 笔因交易规则被拒绝。",
    },
}
