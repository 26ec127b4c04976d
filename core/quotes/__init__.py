"""Live quotes inside the app: the quote hub, market sessions and the in-process demo feed."""
