"""Chart colours: dark and light themes, and the A-share red-up (or green-up) convention."""

from __future__ import annotations

from dataclasses import dataclass, replace

# Terminal convention for study lines: the first line light/dark, then yellow, magenta, green, blue.
_DARK_LINES = ("#e8e8e8", "#f5c542", "#e056d8", "#3ecf6e", "#4aa3ff", "#ff8c42")
_LIGHT_LINES = ("#202020", "#d69a00", "#c0268f", "#138a3e", "#1a6fd1", "#e06a00")
_RED = "#f23d4f"
_GREEN = "#19b36b"


@dataclass(frozen=True, slots=True)
class ChartTheme:
    """Every colour the chart draws with."""

    name: str
    background: str
    text: str
    muted_text: str
    axis: str
    grid: str
    crosshair: str
    up: str
    down: str
    lines: tuple[str, ...]
    info_background: str
    info_border: str
    buy: str
    sell: str
    signal: str
    # Up candles hollow (outline only), as Chinese terminals draw them by default.
    hollow_up: bool = True

    def line_color(self, position: int) -> str:
        return self.lines[position % len(self.lines)]

    def with_red_up(self, red_up: bool) -> ChartTheme:
        """This theme in the red-up (A-share) or green-up (Western) convention."""
        up, down = (_RED, _GREEN) if red_up else (_GREEN, _RED)
        return replace(self, up=up, down=down, buy=up, sell=down)


DARK = ChartTheme(
    name="dark",
    background="#0f1115",
    text="#d5d8de",
    muted_text="#8a9099",
    axis="#5a6070",
    grid="#262a33",
    crosshair="#9aa0aa",
    up=_RED,
    down=_GREEN,
    lines=_DARK_LINES,
    info_background="rgba(20,23,30,230)",
    info_border="#3a404c",
    buy=_RED,
    sell=_GREEN,
    signal="#f5c542",
)
LIGHT = ChartTheme(
    name="light",
    background="#ffffff",
    text="#1d2129",
    muted_text="#6b7280",
    axis="#9aa0aa",
    grid="#eceef2",
    crosshair="#5f6672",
    up=_RED,
    down=_GREEN,
    lines=_LIGHT_LINES,
    info_background="rgba(255,255,255,235)",
    info_border="#c9ced6",
    buy=_RED,
    sell=_GREEN,
    signal="#d69a00",
)
THEMES = {"dark": DARK, "light": LIGHT}
