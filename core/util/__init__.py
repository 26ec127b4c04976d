"""Building blocks with no domain of their own: backoff, listener registries, a loop thread blocking code awaits in."""
