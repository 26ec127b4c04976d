"""Simplified Chinese for the quote board, data manager, settings and status bar."""

from __future__ import annotations

TABLE = {
    "QuoteBoard": {
        "Code": "代码",
        "Name": "名称",
        "Last": "最新价",
        "Change": "涨跌",
        "Change %": "涨跌幅",
        "Volume": "成交量",
        "Amount": "成交额",
        "Bid": "买一",
        "Ask": "卖一",
        "High": "最高",
        "Low": "最低",
        "Limit": "涨跌停",
        "Status": "状态",
        "limit up": "涨停",
        "limit down": "跌停",
        "suspended": "停牌",
        "Not added: {reason}": "未添加：{reason}",
    },
    "DataManager": {
        "import": "导入",
        "delete": "删除",
        "export CSV": "导出 CSV",
        "export Qlib": "导出 Qlib",
        "Cancelled; everything finished before that is kept.": "已取消；取消前完成的部分已保留。",
        "Deleted {n} series ({rows} rows)": "已删除 {n} 个序列（{rows} 行）",
        "Exported {n} series to {dir}": "已导出 {n} 个序列到 {dir}",
        "{ok} of {n} file(s) imported: {rows} rows, {new} new, {updated} updated": (
            "已导入 {ok}/{n} 个文件：{rows} 行，新增 {new}，更新 {updated}"
        ),
        "Exported to {dir} ({mode}): {n} instruments, {days} trading days": (
            "已导出到 {dir}（{mode}）：{n} 只证券，{days} 个交易日"
        ),
    },
    "Settings": {
        "No OS keyring found: a bridge token cannot be saved on this machine.": (
            "未找到系统密钥环：本机无法保存桥接令牌。"
        ),
        "The bridge URL must start with http:// or https://": "桥接地址必须以 http:// 或 https:// 开头",
        "Enter the bridge URL the token belongs to.": "请输入该令牌所属的桥接地址。",
        "Saved. Data folder, language, bridge, orders account and daily routine change at the next start.": (
            "已保存。数据文件夹、语言、桥接、交易账户和每日流程设置将在下次启动时生效。"
        ),
        "The daily routine drops at most TopK names a day.": "每日流程每天卖出的数量不能超过 TopK。",
        "Retrain the run every: {reason}.": "定期重训：{reason}。",
    },
    "Status": {
        "no data stored": "无本地数据",
        "data to {day}": "数据截至 {day}",
        "demo replay {day} · {rate:.0f} ticks/s": "演示回放 {day} · {rate:.0f} 笔/秒",
    },
}
