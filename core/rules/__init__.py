"""The A-share rule engine: lots, T+1, price limits, fees and stamp duty, suspensions."""
