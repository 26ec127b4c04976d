"""Every literal string the interface passes to Qt's translate() has a Simplified Chinese entry."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.i18n import LANGUAGES, SOURCE_LANGUAGE, lookup, table

REPO = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("app", "widgets")
SKIP = {Path("app/i18n.py")}


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_translate(func: ast.AST) -> bool:
    """`QCoreApplication.translate(...)`, `QT_TRANSLATE_NOOP(...)` or a bare imported `translate(...)`."""
    if isinstance(func, ast.Attribute):
        return func.attr == "translate"
    return isinstance(func, ast.Name) and func.id in {"translate", "QT_TRANSLATE_NOOP"}


def _helper_contexts(tree: ast.Module) -> dict[str, str]:
    """Module-level helpers such as `def _tr(text): return QCoreApplication.translate("Ctx", text)`."""
    helpers: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or len(node.args.args) != 1:
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call) and _is_translate(inner.func) and len(inner.args) >= 2:
                context = _literal(inner.args[0])
                passes_arg = isinstance(inner.args[1], ast.Name) and inner.args[1].id == node.args.args[0].arg
                if context is not None and passes_arg:
                    helpers[node.name] = context
    return helpers


def translatable_strings(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line, context, source text) for each literal handed to translate() or a translate helper."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    helpers = _helper_contexts(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        if _is_translate(node.func) and len(node.args) >= 2:
            context, text = _literal(node.args[0]), _literal(node.args[1])
        elif isinstance(node.func, ast.Name) and node.func.id in helpers:
            context, text = helpers[node.func.id], _literal(node.args[0])
        else:
            continue
        if context is not None and text:
            yield node.lineno, context, text


def _sources() -> list[Path]:
    files = [p for d in SOURCE_DIRS for p in sorted((REPO / d).rglob("*.py"))]
    return [p for p in files if p.relative_to(REPO) not in SKIP and "translations" not in p.parts]


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE])
def test_every_interface_string_is_translated(lang: str) -> None:
    missing = [
        f"{path.relative_to(REPO)}:{line}: [{context}] {text!r}"
        for path in _sources()
        for line, context, text in translatable_strings(path)
        if lookup(lang, context, text) is None
    ]
    assert not missing, f"{len(missing)} string(s) without a {lang} translation:\n" + "\n".join(missing)


def test_extractor_finds_helper_and_direct_calls(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "from PySide6.QtCore import QCoreApplication, QT_TRANSLATE_NOOP\n"
        "def _tr(text):\n    return QCoreApplication.translate('Ctx', text)\n"
        "A = QT_TRANSLATE_NOOP('Other', 'noop')\n"
        "def f(x):\n    return _tr('helper') + QCoreApplication.translate('Direct', 'call') + _tr(x)\n",
        encoding="utf-8",
    )
    found = {(context, text) for _, context, text in translatable_strings(source)}
    assert found == {("Other", "noop"), ("Ctx", "helper"), ("Direct", "call")}


def test_area_modules_merge_into_the_language_table() -> None:
    merged = table("zh_CN")
    assert merged["MainWindow"]["&File"] == "文件(&F)"
    # Each area module contributes its own contexts; none may be empty.
    assert all(texts for texts in merged.values())
