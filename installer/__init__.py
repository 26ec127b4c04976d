"""Packaging and environment tooling of QDesk (scripts run from the repository root)."""
