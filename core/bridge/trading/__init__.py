"""Live trading on the bridge: xttrader behind one worker, trade-scoped tokens, arm state, HTTP routes."""
