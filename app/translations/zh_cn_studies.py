"""Simplified Chinese for the Research dock (hyper-parameter studies) and its presenter."""

from __future__ import annotations

TABLE = {
    "ResearchPanel": {
        "Ray address": "Ray 地址",
        "empty: this machine": "留空：本机",
        "A Ray cluster to run the trials on: auto, ray://HOST:PORT or HOST:PORT": (
            "运行试验的 Ray 集群：auto、ray://主机:端口 或 主机:端口"
        ),
        "Study": "调参任务",
        "Model": "模型",
        "Dataset": "数据集",
        "Universe": "股票池",
        "Metric": "指标",
        "Trials": "试验",
        "Best": "最优",
        "Trial": "试验",
        "State": "状态",
        "Value": "取值",
        "Parameters": "参数",
        "Workers": "并行数",
        "Segments": "区间",
        "MODEL-DATASET-UNIVERSE": "模型-数据集-股票池",
        "Train, valid, test as START:END, separated by commas": "训练、验证、测试区间，格式 开始:结束，以逗号分隔",
        "Start": "开始",
        "Cancel": "取消",
        "Resume": "继续",
        "Add the trials above to the selected study": "为所选研究追加上面设定数量的试验",
        "Register best as run": "登记最优为训练",
        "Best so far": "当前最优",
        "Parameter importance": "参数重要性",
        "Parallel coordinates": "平行坐标",
        "Charts": "图表",
        "running": "运行中",
        "complete": "完成",
        "pruned": "已剪枝",
        "fail": "失败",
    },
    "ResearchPresenter": {
        "Segments: {error}": "区间：{error}",
        "Universe: {error}": "股票池：{error}",
        "Study {study}: running {trials} trial(s)…": "调参任务 {study}：正在运行 {trials} 次试验…",
        "A study is already running; cancel it first.": "已有调参任务在运行，请先取消。",
        "Loading torch, LightGBM and Qlib (first study only)…": "正在加载 torch、LightGBM 和 Qlib（仅首次）…",
        "Study {study}: retraining the best trial…": "调参任务 {study}：正在重新训练最优试验…",
        "Cancelled: finished trials are kept; Resume adds more.": "已取消：已完成的试验已保留，点“继续”可追加。",
        "Failed: {error}": "失败：{error}",
        "Finished: best trial registered as run {run}": "完成：最优试验已登记为训练 {run}",
    },
}
