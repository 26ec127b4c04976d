"""Simplified Chinese for the QDesk Bridge tray icon."""

from __future__ import annotations

TABLE = {
    "BridgeTray": {
        "Source: {source}": "数据源：{source}",
        "QMT connected": "QMT 已连接",
        "QMT disconnected; reconnecting": "QMT 已断开，正在重连",
        "{n} client(s)": "{n} 个客户端",
        "{rate} ticks/s": "{rate} 笔/秒",
        "paused": "已暂停",
        "Copy access token": "复制访问令牌",
        "Replace access token and copy it": "更换访问令牌并复制",
        "Open log": "打开日志",
        "Pause streaming": "暂停推送",
        "Resume streaming": "恢复推送",
        "Start on login": "登录时启动",
        "Available on Windows only": "仅在 Windows 上可用",
        "Quit QDesk Bridge": "退出 QDesk Bridge",
        "Only the hash of the stored token is kept; replace it to copy a new one": (
            "已保存的令牌只保留其哈希值；更换令牌后即可复制新令牌"
        ),
        "Access token copied to the clipboard": "访问令牌已复制到剪贴板",
        "New access token copied; connected clients need it now": "新访问令牌已复制；已连接的客户端需要改用新令牌",
        "Could not change start on login: {error}": "无法更改登录时启动：{error}",
        "Not encrypted: serving {host} without TLS, so the token and market data cross the network in clear "
        "text. Restart with --tls-cert and --tls-key.": (
            "未加密：在 {host} 上未启用 TLS，访问令牌与行情数据以明文在网络上传输。"
            "请加上 --tls-cert 与 --tls-key 重新启动。"
        ),
    },
}
