"""Market data in and out of the store: CSV importers, validation, calendar, Qlib export, caches."""
