"""Chart computations on bar arrays: periods, aggregation, price adjustment, indicators (numpy, no Qt)."""
