"""Daily backtests over the market store from a signal frame, with metrics and reports."""
