"""Simplified Chinese for the Research dock's factor lab (expression editor, evaluation, IC charts)."""

from __future__ import annotations

TABLE = {
    "ResearchPanel": {
        "Studies": "调参任务",
        "Factors": "因子",
    },
    "FactorLabPanel": {
        "A Qlib expression, e.g. Ref($close, 5) / $close - 1": "Qlib 表达式，例如 Ref($close, 5) / $close - 1",
        "csi300, csi500, all, or symbols separated by commas": "csi300、csi500、all，或以逗号分隔的代码",
        "Evaluate": "评估",
        "Cancel": "取消",
        "Metric": "指标",
        "Value": "数值",
        "Evaluate an expression to see its IC decay and quantile returns here.": (
            "评估表达式后，这里显示 IC 衰减与分位收益。"
        ),
        "Expression": "表达式",
        "Universe": "股票池",
        "From": "起始",
        "To": "截止",
        "IC decay": "IC 衰减",
        "Horizon (trading days)": "持有期（交易日）",
        "Rank IC": "Rank IC",
        "Mean daily return by quantile (%), lowest factor first": "各分位日均收益（%），因子值由低到高",
    },
    "FactorLab": {
        "IC": "IC",
        "ICIR": "ICIR",
        "Rank IC": "Rank IC",
        "Rank ICIR": "Rank ICIR",
        "Days with IC > 0": "IC 为正的天数占比",
        "Long–short, daily": "多空日收益",
        "Top quantile turnover": "最高分位换手率",
        "Coverage": "覆盖率",
        "Factor {expression}": "因子 {expression}",
        "Evaluating {expression}…": "正在评估 {expression}…",
        "Loading Qlib (first evaluation only)…": "正在加载 Qlib（仅首次评估）…",
        "Cancelled.": "已取消。",
        "Failed: {error}": "失败：{error}",
        "{expression}: {days} days scored, {names} instruments": "{expression}：评估 {days} 个交易日，{names} 只证券",
    },
}
