"""Simplified Chinese for the About dialog and the first-start wizard."""

TABLE = {
    "AboutDialog": {
        "About {name}": "关于 {name}",
        "Licence": "许可",
        "Third-party packages": "第三方软件包",
        "Demo data": "演示数据",
        "Copy build info": "复制版本信息",
        "Package": "软件包",
        "Version": "版本",
    },
    "About": {
        "see the package's licence file": "见该软件包的许可文件",
        "built {date}": "构建于 {date}",
        "run from source": "从源码运行",
        "commit": "提交",
        "A desktop workstation for China A-share quant research and trading, with QDesk Bridge "
        "for the broker's QMT terminal. Demo data: real daily bars from the hikyuu project "
        "(fasiondog/hikyuu), Apache License 2.0 — see the Demo data tab.": (
            "面向A股量化研究与交易的桌面工作站，配有连接券商 QMT 终端的 QDesk Bridge。"
            "演示数据：来自 hikyuu 项目（fasiondog/hikyuu）的真实日线行情，Apache License 2.0 许可——见“演示数据”页。"
        ),
        "The demo data's NOTICE file is missing from this installation.": "本安装缺少演示数据的 NOTICE 文件。",
        "Proprietary software of the QDesk team.": "QDesk 团队的专有软件。",
    },
}

TABLE["FirstRunWizard"] = {
    "Welcome to QDesk": "欢迎使用 QDesk",
    "Open QDesk": "打开 QDesk",
    "Data folder": "数据文件夹",
    "QDesk keeps its market store, models and backtests in one folder.": (
        "QDesk 将行情库、模型与回测结果保存在同一个文件夹中。"
    ),
    "Browse…": "浏览…",
    "Market data source": "行情数据来源",
    "Connect to QDesk Bridge on the QMT machine, or start with the bundled demo data.": (
        "连接 QMT 电脑上的 QDesk Bridge，或先使用内置的演示数据。"
    ),
    "Demo mode: replay real daily bars bundled with QDesk": "演示模式：回放 QDesk 内置的真实日线行情",
    "Connect to QDesk Bridge": "连接 QDesk Bridge",
    "shown once by the bridge at its first start": "桥接首次启动时显示一次",
    "optional: the bridge's certificate (.pem) for a self-signed TLS setup": "可选：自签名 TLS 时桥接的证书（.pem）",
    "Test connection": "测试连接",
    "Bridge URL": "桥接地址",
    "Token": "令牌",
    "TLS certificate": "TLS 证书",
    "Import data": "导入数据",
    "Fill the market store now, or later from the Data manager.": "现在填充行情库，或稍后在“数据管理”中导入。",
    "Import CSV files…": "导入 CSV 文件…",
    "Import a folder…": "导入文件夹…",
    "Download daily history from the bridge": "从桥接下载历史日线",
    "Cancel import": "取消导入",
    "Ready": "准备就绪",
    "QDesk opens on the quote board and the chart.": "QDesk 将打开行情看板与K线图。",
    "Connecting…": "正在连接…",
    "Certificates (*.pem *.crt)": "证书 (*.pem *.crt)",
    "Import CSV files": "导入 CSV 文件",
    "Market data (*.csv *.csv.gz *.txt)": "行情数据 (*.csv *.csv.gz *.txt)",
    "Import a folder": "导入文件夹",
    "Choose a folder on a local disk with a few GB free. The folder is created if it does not exist; "
    "an existing QDesk folder is used as it is.": (
        "请选择本地磁盘上剩余空间数 GB 以上的文件夹。文件夹不存在时会自动创建；已有的 QDesk 文件夹将原样使用。"
    ),
    "Eight Shanghai and Shenzhen symbols, 1991–2011, from the hikyuu project (Apache License 2.0). "
    "Nothing is sent anywhere.": (
        "沪深两市 8 只证券 1991–2011 年的数据，来自 hikyuu 项目（Apache License 2.0）。不会向任何地方发送数据。"
    ),
    "Daily or 1-minute bars as CSV (one file per symbol, Chinese headers and GBK accepted) or index membership "
    "files. You can skip this step: the demo data is used until the store holds bars.": (
        "CSV 格式的日线或 1 分钟线（每只证券一个文件，支持中文表头与 GBK 编码），或指数成分文件。"
        "此步可以跳过：行情库中没有K线时将使用演示数据。"
    ),
}

TABLE["FirstRun"] = {
    "First-start wizard…": "首次启动向导…",
    "First-start wizard": "首次启动向导",
    "Run this wizard again from Help → First-start wizard.": "可随时通过“帮助 → 首次启动向导”再次运行本向导。",
    "Connected to QDesk Bridge {version} (source: {source}).": "已连接 QDesk Bridge {version}（数据源：{source}）。",
    "{status} QMT is not connected: start the QMT terminal and log in on the bridge machine.": (
        "{status}QMT 未连接：请在桥接所在电脑上启动并登录 QMT 终端。"
    ),
    "No OS keyring was found, so the bridge token cannot be saved on this machine; QDesk never writes it to a "
    "file. Install or unlock one (macOS Keychain, Windows Credential Manager, GNOME Keyring/KWallet).": (
        "未找到系统密钥环，无法在本机保存桥接令牌；QDesk 从不把令牌写入文件。请安装或解锁密钥环"
        "（macOS 钥匙串、Windows 凭据管理器、GNOME Keyring/KWallet）。"
    ),
    "The bridge URL must start with http:// or https://": "桥接地址必须以 http:// 或 https:// 开头",
    "Enter the token the bridge showed at its first start.": "请输入桥接首次启动时显示的令牌。",
    "Importing…": "正在导入…",
    "Asking the bridge for its instruments…": "正在向桥接获取证券列表…",
    "Import cancelled; what was imported so far is kept.": "导入已取消；已导入的数据会保留。",
    "Market store: empty for now, so QDesk starts on the demo data.": "行情库：暂时为空，QDesk 将使用演示数据启动。",
    "{status} The token is kept in the OS keyring.": "{status}令牌已保存在系统密钥环中。",
    "Data folder: {path}": "数据文件夹：{path}",
    "Saved. The data folder and the bridge apply at the next start.": (
        "已保存。数据文件夹与桥接设置将在下次启动时生效。"
    ),
    "The bridge refused the token. Copy it again from the bridge's token file, or restart the bridge with "
    "--new-token for a new one.": (
        "桥接拒绝了该令牌。请从桥接的令牌文件重新复制，或用 --new-token 重启桥接以获取新令牌。"
    ),
    "Certificate file not found: {path}": "找不到证书文件：{path}",
    "{rows} rows stored.": "已保存 {rows} 行。",
    "Bridge: {url}": "桥接：{url}",
    "Market store: {rows} rows imported.": "行情库：已导入 {rows} 行。",
    "The bridge speaks API {api}; this QDesk needs API 1.": "桥接使用 API {api}；本版 QDesk 需要 API 1。",
    "Cannot create the data folder: {error}": "无法创建数据文件夹：{error}",
    "Import failed: {error}": "导入失败：{error}",
    "Cannot reach the bridge: {error}": "无法连接桥接：{error}",
    "Downloading {symbol}": "正在下载 {symbol}",
}
