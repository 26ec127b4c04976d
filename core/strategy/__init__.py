"""Portfolio strategies: turn a day's scores and the account into the next day's orders or targets."""
