"""Data sources behind the bridge: QMT via xtquant, replay of recorded data, and a synthetic load source."""
