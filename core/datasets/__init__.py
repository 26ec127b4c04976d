"""What models and research share: dataset configuration, the prepared arrays and the signal metrics."""
