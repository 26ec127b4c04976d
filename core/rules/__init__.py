"""A-share trading rules (price limits, lots, T+1, costs), table-driven and dated."""
