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
        "(fasiondog/hikyuu), Apache License 2.0 — see the Demo data tab.":
        "面向A股量化研究与交易的桌面工作站，配有连接券商 QMT 终端的 QDesk Bridge。"
        "演示数据：来自 hikyuu 项目（fasiondog/hikyuu）的真实日线行情，Apache License 2.0 许可——见“演示数据”页。",
        "The demo data's NOTICE file is missing from this installation.": "本安装缺少演示数据的 NOTICE 文件。",
        "Proprietary software of the QDesk team.": "QDesk 团队的专有软件。",
    },
}
