"""Help → About: version and commit, bundled licences, the demo data's NOTICE; build facts with and without a stamp."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import tomllib
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QPlainTextEdit, QPushButton, QTableWidget
from pytestqt.qtbot import QtBot

from app.about_presenter import about_info, licence_of, reflow
from app.build_info import ROOT, BuildInfo, build_info, git_commit, project_version, read_stamp
from app.i18n import installed_language
from app.main_window_presenter import create_main_window
from tests.app.stand_in_panels import stand_in_panels
from widgets.about_dialog import AboutDialog

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _about(qtbot: QtBot, tmp_path: Path) -> AboutDialog:
    window = create_main_window(data_dir=tmp_path, demo=True, layout_store=None, panels=stand_in_panels()).window
    qtbot.addWidget(window)
    window.show()
    action = window.findChild(QAction, "about_action")
    assert action is not None
    action.trigger()
    dialog = window.findChild(AboutDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_help_about_shows_version_build_licences_and_notice(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = _about(qtbot, tmp_path)
    assert dialog.text().startswith(f"<h2>QDesk {VERSION}</h2>")
    # The build facts are read once per process; HEAD may move on meanwhile in a busy checkout.
    commit = build_info().commit
    assert len(commit) == 10 and int(commit, 16) >= 0
    assert f"commit {commit}" in dialog.informativeText()
    assert "hikyuu" in dialog.text() and "Apache License 2.0" in dialog.text()

    notice = dialog.findChild(QPlainTextEdit, "notice_text")
    assert notice is not None
    assert notice.toPlainText() == (ROOT / "resources" / "demo" / "NOTICE").read_text(encoding="utf-8")
    licence = dialog.findChild(QPlainTextEdit, "licence_text")
    assert licence is not None and "Apache License, Version 2.0" in licence.toPlainText()

    table = dialog.findChild(QTableWidget, "package_table")
    assert table is not None
    rows = {
        table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())
    }
    import PySide6

    assert rows["PySide6_Essentials"][0] == PySide6.__version__ or rows.get("PySide6-Essentials")
    assert "LGPL" in " ".join(v[1] for k, v in rows.items() if k.lower().startswith("pyside6"))
    dialog.close()


def test_copy_build_info_fills_the_clipboard_and_keeps_the_box_open(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = _about(qtbot, tmp_path)
    button = dialog.findChild(QPushButton, "copy_build_button")
    assert button is not None
    button.click()
    assert dialog.isVisible()
    assert QGuiApplication.clipboard().text().startswith(f"QDesk {VERSION} · commit ")
    dialog.close()


def test_about_in_chinese(qtbot: QtBot, qapp: QApplication, tmp_path: Path) -> None:
    with installed_language(qapp, "zh_CN"):
        dialog = _about(qtbot, tmp_path)
        assert dialog.windowTitle() == "关于 QDesk"
        assert [dialog.tabs.tabText(i) for i in range(3)] == ["许可", "第三方软件包", "演示数据"]
        assert "从源码运行" in dialog.informativeText()
        dialog.close()


def test_a_packaged_stamp_wins_over_the_checkout(tmp_path: Path) -> None:
    stamp = tmp_path / "build_info.json"
    stamp.write_text(json.dumps({"version": "1.2.3", "commit": "abcdef1234", "built": "2026-12-01"}))
    assert read_stamp(stamp) == {"version": "1.2.3", "commit": "abcdef1234", "built": "2026-12-01"}
    stamp.write_text("{not json")
    assert read_stamp(stamp) == {}
    info = about_info(BuildInfo("1.2.3", "abcdef1234", "2026-12-01", "3.11.7", "Darwin arm64"))
    assert info.version == "1.2.3"
    assert info.build_line == "commit abcdef1234 · built 2026-12-01 · Python 3.11.7 · Darwin arm64"


def test_version_and_commit_outside_a_checkout(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "9.9"\n')
    assert project_version(tmp_path / "pyproject.toml") == "9.9"
    assert git_commit(tmp_path) == "unknown"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert head.startswith(git_commit(ROOT)) and len(git_commit(ROOT)) == 10


def test_licence_names_come_from_expression_classifier_or_short_field() -> None:
    from importlib import metadata

    assert licence_of(metadata.distribution("pytest")) in ("MIT", "MIT License")
    assert "BSD" in licence_of(metadata.distribution("numpy"))
    assert QMessageBox  # the About box is a message box: native placement on every platform


def test_licence_paragraphs_are_reflowed_but_headings_kept() -> None:
    text = "First line\nsecond line.\n\nHeading\n-------\nbody\n"
    assert reflow(text) == "First line second line.\n\nHeading\n-------\nbody\n"
