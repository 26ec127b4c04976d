"""QDesk core: domain types, storage, data import/export and services. Never imports Qt."""
