"""Building blocks of the chart panel: view state, theme, bar glyphs, axes, panes and crosshair."""
