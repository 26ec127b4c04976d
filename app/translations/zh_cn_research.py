"""Simplified Chinese for the training panel and its presenter."""

from __future__ import annotations

TABLE = {
    "TrainingPanel": {
        "Run": "训练",
        "Model": "模型",
        "Dataset": "数据集",
        "Universe": "股票池",
        "Test segment": "测试区间",
        "IC": "IC",
        "ICIR": "ICIR",
        "Rank IC": "Rank IC",
        "Rank ICIR": "Rank ICIR",
        "Segments": "区间",
        "Device": "设备",
        "Epochs": "轮数",
        "Learning rate": "学习率",
        "Hidden size / leaves": "隐层宽度 / 叶子数",
        "Batch size": "批大小",
        "Seed": "随机种子",
        "Parameters": "参数",
        "more parameters: key=value, key=value": "更多参数：key=value, key=value",
        "csi300, csi500, all, or symbols separated by commas": "csi300、csi500、all，或以逗号分隔的代码",
        "Train, valid, test as START:END, separated by commas": "训练、验证、测试区间，格式 开始:结束，以逗号分隔",
        "Train": "训练",
        "Cancel": "取消",
        "Queue": "队列",
        "Curves": "曲线",
        "Runs": "训练记录",
        "Compare": "对比",
        "Delete": "删除",
        "Export…": "导出…",
        "Export run to folder": "导出训练到文件夹",
        "Loss": "损失",
        "Valid IC": "验证集 IC",
        "Epoch": "轮次",
        "train": "训练",
        "valid": "验证",
    },
    "TrainingPresenter": {
        "Segments: {error}": "区间：{error}",
        "Universe: {error}": "股票池：{error}",
        "Parameters: {error}": "参数：{error}",
        "ETA {eta}": "预计剩余 {eta}",
        "Exported to {path}": "已导出到 {path}",
        "Cancelled: the finished epochs are checkpointed; train again to resume.": (
            "已取消：已完成的轮次已保存检查点，再次训练即可续训。"
        ),
        "Failed: {error}": "失败：{error}",
        "Finished: {run}": "完成：{run}",
    },
}
