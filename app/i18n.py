"""Interface languages: dict-backed translations behind Qt's own translate() hook; Qt loads only on use."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication, QTranslator

LANGUAGES = ("zh_CN", "en")
# Source strings in the code are English, so English needs no translator at all.
SOURCE_LANGUAGE = "en"

Table = Mapping[str, Mapping[str, str]]  # context -> source text -> translation

_ZH_CN: Table = {
    "MainWindow": {
        "QDesk — A-share quant workstation": "QDesk — A股量化工作站",
        "&File": "文件(&F)",
        "&Quit": "退出(&Q)",
        "&View": "视图(&V)",
        "&Reset layout": "重置布局(&R)",
        "&Workspaces": "工作区(&W)",
        "&Save workspace as…": "保存工作区为(&S)…",
        "&Delete workspace": "删除工作区(&D)",
        "Save workspace": "保存工作区",
        "Workspace name:": "工作区名称：",
        "&Help": "帮助(&H)",
        "&About QDesk": "关于 QDesk(&A)",
        "About QDesk": "关于 QDesk",
        "Data: {path}": "数据：{path}",
    },
    "Docks": {
        "Quote board": "行情看板",
        "Live quotes for the watch list: last price, change and volume.": "自选股实时行情：最新价、涨跌幅与成交量。",
        "Chart": "K线图",
        "Candlesticks, volume and indicators for the selected symbol.": "所选证券的K线、成交量与技术指标。",
        "Data manager": "数据管理",
        "Import, inspect and export the local market store.": "导入、查看与导出本地行情库。",
        "Training": "模型训练",
        "Train models on Qlib datasets and follow their progress.": "在 Qlib 数据集上训练模型并跟踪进度。",
        "Research": "研究",
        "Hyper-parameter studies: live trials, best so far, importances.": (
            "超参数搜索：实时试验、当前最优与参数重要性。"
        ),
        "Backtest": "回测",
        "Run strategies over history under A-share trading rules.": "按A股交易规则在历史数据上回测策略。",
        "Signals": "信号",
        "Model predictions and the trade signals drawn from them.": "模型预测及由此生成的交易信号。",
        "Orders": "委托",
        "Orders, fills and positions of the paper or live account.": "模拟或实盘账户的委托、成交与持仓。",
        "Monitor": "监控",
        "Buy ticket": "买入委托",
        "Sell ticket": "卖出委托",
        "Health of the bridge, the data feeds and running jobs.": "桥接、行情源与后台任务的运行状态。",
    },
    "Status": {
        "demo replay": "演示回放",
        "no bridge configured": "未配置桥接",
        "Beijing {time}": "北京时间 {time}",
        "Workspace saved: {name}": "已保存工作区：{name}",
        "Workspace {name} no longer fits this version's docks": "工作区 {name} 与当前版本的停靠窗口不再匹配",
    },
    "About": {
        "QDesk — a desktop workstation for China A-share quant research.": "QDesk — A股量化研究桌面工作站。",
        "Demo data: real daily bars from the hikyuu project (fasiondog/hikyuu), Apache License 2.0; "
        "see resources/demo/NOTICE.": "演示数据：来自 hikyuu 项目（fasiondog/hikyuu）的真实日线行情，"
        "Apache License 2.0 许可；详见 resources/demo/NOTICE。",
    },
}

# Each panel keeps its own strings in app/translations/<lang>_<area>.py (a module-level TABLE), so adding
# a panel never means editing one ever-growing file; they are merged on first use, not at import.
_BASE_TABLES: Mapping[str, Table] = {"zh_CN": _ZH_CN}


@cache
def table(lang: str) -> Table:
    """The whole translation table of `lang`: this module's strings plus every area module's."""
    import importlib
    import pkgutil

    from app import translations

    merged: dict[str, dict[str, str]] = {ctx: dict(texts) for ctx, texts in _BASE_TABLES.get(lang, {}).items()}
    prefix = lang.lower() + "_"
    for module in sorted(m.name for m in pkgutil.iter_modules(translations.__path__)):
        if not module.startswith(prefix):
            continue
        area: Table = importlib.import_module(f"app.translations.{module}").TABLE
        for ctx, texts in area.items():
            merged.setdefault(ctx, {}).update(texts)
    return merged


def lookup(lang: str, context: str, text: str) -> str | None:
    """The translation of `text` in `context`, or None when the table has none."""
    return table(lang).get(context, {}).get(text)


@contextmanager
def installed_language(app: QCoreApplication, lang: str) -> Iterator[None]:
    """Install translators for `lang` on `app` for the duration of the block, then remove them."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    from PySide6.QtCore import QLibraryInfo, QTranslator

    translators: list[QTranslator] = []
    if lang != SOURCE_LANGUAGE:
        # Qt's own catalogue covers its stock strings (dialog buttons, dock tool tips).
        qt_catalogue = QTranslator()
        if qt_catalogue.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            translators.append(qt_catalogue)
        translators.append(_dict_translator(lang))
    for translator in translators:
        app.installTranslator(translator)
    try:
        yield
    finally:
        for translator in translators:
            app.removeTranslator(translator)


def _dict_translator(lang: str) -> QTranslator:
    # Defined on call so that importing this module (as the CLI does for LANGUAGES) loads no Qt.
    from PySide6.QtCore import QTranslator

    class DictTranslator(QTranslator):
        def translate(
            self, context: str, source_text: str, disambiguation: str | None = None, n: int = -1
        ) -> str | None:
            # None reaches Qt as a null string, which makes Qt try the next translator or the source.
            return lookup(lang, context, source_text)

        def isEmpty(self) -> bool:  # noqa: N802 (Qt override)
            return not table(lang)

    return DictTranslator()
