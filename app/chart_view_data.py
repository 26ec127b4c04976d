"""The chart panel's view state for a finished load (bars, studies, the note on a missing adjustment)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from core.market.chart_load import ChartLoaded
from widgets.chart.view_state import ChartData


def _tr(text: str) -> str:
    return QCoreApplication.translate("ChartPresenter", text)


def chart_data(loaded: ChartLoaded, name: str = "") -> ChartData:
    """The panel's view state for a finished load."""
    bars, request = loaded.bars, loaded.request
    return ChartData(
        # Without stored factors the bars are raw: the toolbar says so instead of claiming an adjustment.
        symbol=request.symbol,
        period=request.period.value,
        adjust=request.adjust.value if loaded.adjusted else "none",
        time=bars.time,
        open=bars.open,
        high=bars.high,
        low=bars.low,
        close=bars.close,
        volume=bars.volume,
        amount=bars.amount,
        studies=loaded.studies,
        name=name,
        price_decimals=price_decimals(request.symbol),
        note=_unadjusted_note(loaded),
    )


def _unadjusted_note(loaded: ChartLoaded) -> str:
    # 前复权/后复权 need the factors a vendor delivers with the bars; say so instead of snapping back silently.
    if loaded.adjusted or not len(loaded.bars):
        return ""
    return _tr("Unadjusted: no adjustment factors stored for {symbol} (import bars with a factor column)").format(
        symbol=loaded.request.symbol
    )


def price_decimals(symbol: str) -> int:
    """Decimals a price of `symbol` is quoted in: exchange-traded funds (codes 5… SH, 1… SZ) tick in 0.001 CNY."""
    fund = symbol[:1] == "5" and symbol.endswith(".SH") or symbol[:1] == "1" and symbol.endswith(".SZ")
    return 3 if fund else 2
