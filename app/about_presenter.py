"""AboutPresenter: fills the About dialog from the build stamp, package metadata and the demo data's NOTICE."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QWidget

from app.build_info import ROOT, BuildInfo, build_info
from app.resources import RESOURCES_DIR, icon_path
from widgets.about_dialog import AboutDialog, AboutInfo

if TYPE_CHECKING:
    from importlib import metadata

# The staged package carries the licence in resources/; a checkout keeps it with the installer files.
LICENCE_FILES = (RESOURCES_DIR / "LICENSE.txt", ROOT / "installer" / "LICENSE.txt")
NOTICE_FILE = RESOURCES_DIR / "demo" / "NOTICE"
_CLASSIFIER = "License :: "


def _tr(text: str) -> str:
    return QCoreApplication.translate("About", text)


def _field(meta: metadata.PackageMetadata, name: str) -> str | None:
    """The first value of header `name`, None when absent (`get` is not in the 3.11 protocol)."""
    values = meta.get_all(name)
    return str(values[0]) if values else None


def licence_of(dist: metadata.Distribution) -> str:
    """A short licence name from a distribution's metadata: SPDX expression, classifier or License field."""
    meta = dist.metadata
    expression = _field(meta, "License-Expression")
    if expression:
        return str(expression)
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith(_CLASSIFIER)]
    if classifiers:
        return ", ".join(dict.fromkeys(classifiers))
    text = (_field(meta, "License") or "").strip()
    # Some packages paste the whole licence text into the field; only a name fits a table cell.
    if text and "\n" not in text and len(text) <= 60:
        return text
    return _tr("see the package's licence file")


def bundled_packages() -> list[tuple[str, str, str]]:
    """(name, version, licence) of every installed distribution, sorted by name, each once."""
    from importlib import metadata  # read when the dialog opens: scanning every package is no launch work

    seen: dict[str, tuple[str, str, str]] = {}
    for dist in metadata.distributions():
        name = _field(dist.metadata, "Name")
        if name and name.lower() not in seen:
            seen[name.lower()] = (str(name), str(dist.version), licence_of(dist))
    return [seen[k] for k in sorted(seen)]


def reflow(text: str) -> str:
    """Paragraphs of a plain-text licence as single lines, so the view wraps them at its own width.

    Headings underlined with ----- or ===== keep their line breaks.
    """
    paragraphs = []
    for paragraph in text.strip("\n").split("\n\n"):
        lines = paragraph.splitlines()
        if any(line.strip() and set(line.strip()) <= set("-=") for line in lines):
            paragraphs.append(paragraph)
        else:
            paragraphs.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(paragraphs) + "\n"


def _read_first(paths: tuple[Path, ...] | list[Path]) -> str:
    for path in paths:
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            continue
    return ""


def about_info(info: BuildInfo | None = None) -> AboutInfo:
    info = info or build_info()
    built = _tr("built {date}").format(date=info.built) if info.built != "source" else _tr("run from source")
    notice = _read_first([NOTICE_FILE]) or _tr("The demo data's NOTICE file is missing from this installation.")
    licence = _read_first(LICENCE_FILES)
    return AboutInfo(
        name="QDesk",
        version=info.version,
        build_line=f"{_tr('commit')} {info.commit} · {built} · Python {info.python} · {info.platform}",
        summary=_tr(
            "A desktop workstation for China A-share quant research and trading, with QDesk Bridge "
            "for the broker's QMT terminal. Demo data: real daily bars from the hikyuu project "
            "(fasiondog/hikyuu), Apache License 2.0 — see the Demo data tab."
        ),
        licence=reflow(licence) if licence else _tr("Proprietary software of the QDesk team."),
        notice=notice,
        packages=bundled_packages(),
    )


class AboutPresenter(QObject):
    """Opens one About dialog at a time, non-modally (a modal exec() would nest the shared event loop)."""

    def __init__(self, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self._parent_widget = parent_widget
        self.dialog: AboutDialog | None = None

    def open(self) -> AboutDialog:
        if self.dialog is None:
            self.dialog = AboutDialog(about_info(), QIcon(str(icon_path())), self._parent_widget)
            self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.dialog.destroyed.connect(self._on_dialog_destroyed)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _on_dialog_destroyed(self) -> None:
        self.dialog = None


def attach_about(window: QWidget) -> AboutPresenter:
    """Point Help → About (the action named `about_action`) at the About dialog instead of a plain box."""
    presenter = AboutPresenter(window)
    action = window.findChild(QAction, "about_action")
    if action is not None:
        action.triggered.disconnect()  # the window's own fallback message box
        action.triggered.connect(presenter.open)
    return presenter
