"""QDesk composition root: builds services and windows; importing this package loads no Qt."""
