"""Simplified Chinese for the signals dock."""

from __future__ import annotations

TABLE = {
    "SignalsPanel": {
        "Cancel routine": "取消每日流程",
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
        "Hold days": "最短持有天数",
        "Invest": "仓位比例",
        "Export plan…": "导出调仓单…",
        "Export plan": "导出调仓单",
        "CSV files (*.csv)": "CSV 文件 (*.csv)",
        "Send {n} order(s) for {session} to the LIVE account? They go to the broker.": (
            "将 {session} 的 {n} 笔委托发送到【实盘】账户？委托将报送券商。"
        ),
        "Send {n} order(s) for {session} to the paper account?": "将 {session} 的 {n} 笔委托发送到模拟账户？",
        "Send plan": "发送调仓单",
    },
    "DailySchedule": {
        "done": "完成",
        "Daily routine {day}: {step} {what}": "每日流程 {day}：{step} {what}",
        "orders queued": "已预埋委托",
        "skipped": "已跳过",
        "failed": "失败",
        "cancelled": "已取消",
        "Daily routine {day}: {outcome}": "每日流程 {day}：{outcome}",
        "Daily routine after {at} (Beijing)": "每日流程：北京时间 {at} 后运行",
        "retrained: now trading {run}": "已重训：现用 {run} 交易",
        "retrain failed, {run} still trades: {reason}": "重训失败，仍用 {run} 交易：{reason}",
    },
    "SignalsPresenter": {
        "plan rebalance": "生成调仓单",
        "{n} order(s) queued for {session}: the Orders dock releases them at the open.": (
            "已为 {session} 预埋 {n} 笔委托：委托面板将在开盘时释放。"
        ),
        "{side} {symbol} {qty:,} @ {price:.2f}": "{side} {symbol} {qty:,} 股 @ {price:.2f}",
        "Sell": "卖出",
        "Buy": "买入",
        "{n} refused by the trading rules.": "{n} 笔因交易规则被拒绝。",
        "The store holds no daily bars: import some in the Data dock first.": (
            "本地没有日线数据：请先在“数据”面板导入。"
        ),
        "Stale: these are the run's stored scores of {day}, the store ends {store}; retrain to score it.": (
            "已过期：这是该模型保存的 {day} 得分，本地数据截至 {store}；请重新训练以便为最新交易日打分。"
        ),
        "Signal day {day} · store day {store} · orders for {session} ({mode}) · cash available {cash:,.0f}"
        " · {open} open order(s) · total value after {value:,.0f} · cash after {after:,.0f}": (
            "信号日 {day} · 数据截至 {store} · {session} 的委托（{mode}）· 可用资金 {cash:,.0f}"
            " · 未成交委托 {open} 笔 · 调仓后总资产 {value:,.0f} · 调仓后现金 {after:,.0f}"
        ),
        "live": "实盘",
        "paper": "模拟",
        "Could not write {path}: {why}": "无法写入 {path}：{why}",
        "Plan written to {path}": "调仓单已写入 {path}",
    },
}
