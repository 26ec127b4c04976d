"""Typed translation marker: PySide6's stub types `QT_TRANSLATE_NOOP` as returning `object`, not `str`."""

from __future__ import annotations


# Qt's own name on purpose: pyside6-lupdate and tests/app/test_translations.py find marked strings by it.
def QT_TRANSLATE_NOOP(context: str, source_text: str) -> str:
    """Mark `source_text` for extraction under `context` and return it untranslated, as Qt's marker does."""
    del context  # only read by the extraction tools
    return source_text
