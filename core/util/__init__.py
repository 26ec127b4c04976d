"""Small building blocks with no domain of their own, shared by every part of core: backoff, listener registries."""
